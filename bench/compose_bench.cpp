// dbs_compose_bench: what Qt's composition of the window costs per frame, apart from anything VTK
// draws (issue 23, defect 8: the drag benchmark's floor). A 1400 x 1000 main window holds a 2 x 2 grid
// of OpenGL surfaces, as the workstation's four views, that only clear themselves; each step repaints
// all four (and, as a drag does, the status bar's text) and waits until each has swapped its frame.
// Three ways of holding them are timed in the same run:
//   widgets   QOpenGLWidget, as the workstation did until issue 23: Qt renders each into a texture
//             and composes the whole window (its raster backing store too) into the window's surface
//             every frame
//   windows   QOpenGLWindow in QWidget::createWindowContainer: each view is a native child window
//             that swaps its own frame; the raster parts are flushed as before
//   readback  a raster QWidget with an off-screen context, as the workstation does now
//             (VtkOpenGLWidget): the frame is read back and painted as an image; no OpenGL
//             composition, and Qt flushes only the repainted rectangles
//
//   xvfb-run -a -s "-screen 0 1600x1200x24" dbs_compose_bench [--steps N]
//
// Prints one JSON object: per-step median and 95th percentile (ms) of each, and their ratio.
#include <QApplication>
#include <QElapsedTimer>
#include <QGridLayout>
#include <QMainWindow>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>
#include <QOpenGLFunctions>
#include <QOpenGLWidget>
#include <QOpenGLWindow>
#include <QPainter>
#include <QStatusBar>
#include <QTest>

#include <functional>
#include <iostream>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "BenchSupport.h"
#include "render/GlContext.h"

using dbs::bench::percentile;

namespace {

// A surface that clears to a colour that changes every frame, so no frame can be skipped as unchanged.
template <typename Base>
class ClearingSurface : public Base, protected QOpenGLFunctions {
 protected:
  void initializeGL() override { initializeOpenGLFunctions(); }
  void paintGL() override {
    frame_ = !frame_;
    glClearColor(frame_ ? 0.2f : 0.3f, 0.3f, 0.4f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  }

 private:
  bool frame_ = false;
};

// A plain raster widget that renders off screen (its own context and framebuffer object), reads the
// frame back and paints it as an image: the window then has no OpenGL composition at all, and Qt
// flushes only the repainted rectangles of its raster backing store.
class ReadbackSurface : public QWidget, protected QOpenGLFunctions {
 public:
  std::function<void()> painted;
  ReadbackSurface() {
    setAttribute(Qt::WA_OpaquePaintEvent);
    context_.create();
    surface_.setFormat(context_.format());
    surface_.create();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    context_.makeCurrent(&surface_);
    if (!initialised_) initializeOpenGLFunctions(), initialised_ = true;
    if (!fbo_ || fbo_->size() != size())
      fbo_ =
          std::make_unique<QOpenGLFramebufferObject>(size(), QOpenGLFramebufferObject::CombinedDepthStencil);
    fbo_->bind();
    glViewport(0, 0, width(), height());
    frame_ = !frame_;
    glClearColor(frame_ ? 0.2f : 0.3f, 0.3f, 0.4f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    const QImage image = fbo_->toImage(/*include_alpha=*/false);
    QPainter(this).drawImage(0, 0, image);
    if (painted) painted();
  }

 private:
  QOpenGLContext context_;
  QOffscreenSurface surface_;
  std::unique_ptr<QOpenGLFramebufferObject> fbo_;
  bool initialised_ = false, frame_ = false;
};

// Times `steps` repaints of a 2 x 2 grid of surfaces made by `makeView`, which also returns how to ask
// the view for a repaint; `swaps` counts the frames swapped.
std::vector<double> timeRepaints(int steps, int& swaps,
                                 const std::function<QWidget*(std::function<void()>& repaint)>& makeView) {
  QMainWindow window;
  auto* central = new QWidget;
  auto* grid = new QGridLayout(central);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(1);
  std::vector<std::function<void()>> repaints(4);
  for (int i = 0; i < 4; ++i) grid->addWidget(makeView(repaints[static_cast<std::size_t>(i)]), i / 2, i % 2);
  window.setCentralWidget(central);
  window.statusBar()->showMessage("ready");
  window.resize(1400, 1000);
  window.show();
  if (!QTest::qWaitForWindowExposed(&window)) return {};
  QTest::qWait(500);
  std::vector<double> ms;
  for (int s = 0; s < steps; ++s) {
    const int before = swaps;
    QElapsedTimer timer;
    timer.start();
    for (auto& repaint : repaints) repaint();
    window.statusBar()->showMessage(QString("step %1").arg(s));  // as a drag's readout does
    while (swaps < before + 4 && timer.elapsed() < 3000)
      QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    ms.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  dbs::app::setDefaultOpenGLSurfaceFormat();  // as dbsplan does
  QApplication app(argc, argv);
  int steps = 100;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--steps") steps = std::max(10, std::atoi(argv[i + 1]));
  int swaps = 0;
  const std::vector<double> widgets = timeRepaints(steps, swaps, [&](std::function<void()>& repaint) {
    auto* view = new ClearingSurface<QOpenGLWidget>;
    QObject::connect(view, &QOpenGLWidget::frameSwapped, [&swaps] { ++swaps; });
    repaint = [view] { view->update(); };
    return view;
  });
  const std::vector<double> windows = timeRepaints(steps, swaps, [&](std::function<void()>& repaint) {
    auto* surface = new ClearingSurface<QOpenGLWindow>;
    QObject::connect(surface, &QOpenGLWindow::frameSwapped, [&swaps] { ++swaps; });
    repaint = [surface] { surface->update(); };
    return QWidget::createWindowContainer(surface);
  });
  const std::vector<double> readback = timeRepaints(steps, swaps, [&](std::function<void()>& repaint) {
    auto* view = new ReadbackSurface;
    view->painted = [&swaps] { ++swaps; };
    repaint = [view] { view->update(); };
    return view;
  });
  if (widgets.empty() || windows.empty() || readback.empty()) {
    std::cerr << "dbs_compose_bench: the window did not come up (run under xvfb-run)\n";
    return 2;
  }
  const double widgetsMedian = percentile(widgets, 0.5), windowsMedian = percentile(windows, 0.5);
  const nlohmann::json out = {{"steps", steps},
                              {"window", "1400x1000, 2 x 2 views that only clear, status bar text per step"},
                              {"qopenglwidget_median_ms", widgetsMedian},
                              {"qopenglwidget_p95_ms", percentile(widgets, 0.95)},
                              {"native_windows_median_ms", windowsMedian},
                              {"native_windows_p95_ms", percentile(windows, 0.95)},
                              {"raster_readback_median_ms", percentile(readback, 0.5)},
                              {"raster_readback_p95_ms", percentile(readback, 0.95)},
                              {"widgets_over_windows", widgetsMedian / windowsMedian}};
  std::cout << out.dump(2) << "\n";
  return 0;
}
