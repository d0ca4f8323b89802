#include "gui/SceneDialog.h"

#include <QDialogButtonBox>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkNew.h>
#include <vtkRenderer.h>

#include "gui/PictureDialog.h"
#include "gui/VtkOpenGLWidget.h"

namespace dbs::app {

// The 3-D view: one renderer, the scene's actors, a trackball camera (drag rotates, the wheel zooms,
// a middle drag pans), the same dark gradient and depth peeling as the report's scene.
class SceneView : public VtkOpenGLWidget {
 public:
  explicit SceneView(QWidget* parent) : VtkOpenGLWidget(parent) {
    renderer_->GradientBackgroundOn();
    renderer_->SetBackground(0.04, 0.05, 0.07);
    renderer_->SetBackground2(0.2, 0.23, 0.3);
    renderer_->SetUseDepthPeeling(true);
    // As the report's scene (setUpSceneView): four dual peels draw its translucent layers, and each
    // frame of a turn stays short on software OpenGL.
    renderer_->SetMaximumNumberOfPeels(4);
    renderer_->SetOcclusionRatio(0.0);
    renderWindow()->SetAlphaBitPlanes(1);
    renderWindow()->AddRenderer(renderer_);
    vtkNew<vtkInteractorStyleTrackballCamera> style;
    interactor()->SetInteractorStyle(style);
    setForwardEventsToVtk(true);
  }
  vtkRenderer* renderer() { return renderer_; }

 protected:
  // Escape belongs to the dialog (it closes it), not to VTK: under a window manager the view has the
  // focus after a drag, and the key was swallowed.
  void keyPressEvent(QKeyEvent* e) override {
    if (e->key() == Qt::Key_Escape) {
      e->ignore();
      return;
    }
    VtkOpenGLWidget::keyPressEvent(e);
  }
  void renderScene() override {
    renderer_->ResetCameraClippingRange();
    VtkOpenGLWidget::renderScene();
  }

 private:
  vtkNew<vtkRenderer> renderer_;
};

SceneDialogText schematicDialogText() {
  return {
      "schematic", "dbsplan: schematic of both leads",
      "The scene of report.pdf: translucent head and brain, both GPi (green) and GPe, both leads with their "
      "contacts, seen from the front-left above. Drag to turn it, wheel to zoom, Reset view to come back.",
      "scene.png"};
}

SceneDialogText implantedSystemDialogText() {
  return {
      "implantedSystem", "dbsplan: the implanted system",
      "Both leads in the GPi with their activated regions, burr-hole caps, the extensions behind the right "
      "ear and down the neck, the generator under the right clavicle. The head and brain are the "
      "patient's; the body and the cables' course are a schematic. Drag to rotate, wheel to zoom.",
      "implanted_system.png"};
}

SceneDialog::SceneDialog(BuiltScene scene, const SceneDialogText& text, std::function<QString()> folder,
                         QWidget* parent)
    : QDialog(parent), scene_(std::move(scene)), text_(text), folder_(std::move(folder)) {
  setObjectName(text_.name + "Dialog");
  setAttribute(Qt::WA_DeleteOnClose);
  setWindowTitle(text_.title);
  auto* layout = new QVBoxLayout(this);
  auto* caption =
      new QLabel(text_.caption + QString(" (Built in %1 s.)").arg(scene_.buildSeconds, 0, 'f', 2), this);
  caption->setObjectName(text_.name + "Caption");
  caption->setWordWrap(true);
  layout->addWidget(caption);
  view_ = new SceneView(this);
  view_->setObjectName(text_.name + "View");
  view_->setMinimumSize(800, 600);
  for (const auto& actor : scene_.actors) view_->renderer()->AddViewProp(actor);
  layout->addWidget(view_, 1);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Close, this);
  QPushButton* reset = buttons->addButton("Reset view", QDialogButtonBox::ResetRole);
  QString capitalised = text_.name;
  capitalised[0] = capitalised[0].toUpper();
  reset->setObjectName("reset" + capitalised + "View");
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
  connect(buttons, &QDialogButtonBox::accepted, this, &SceneDialog::save);
  connect(reset, &QPushButton::clicked, this, &SceneDialog::resetView);
  resetView();
}

void SceneDialog::resetView() {
  vtkCamera* camera = view_->renderer()->GetActiveCamera();
  camera->SetViewAngle(scene_.viewAngleDeg);
  camera->SetFocalPoint(scene_.focalRas.x, scene_.focalRas.y, scene_.focalRas.z);
  camera->SetPosition(scene_.cameraRas.x, scene_.cameraRas.y, scene_.cameraRas.z);
  camera->SetViewUp(scene_.viewUpRas.x, scene_.viewUpRas.y, scene_.viewUpRas.z);
  view_->update();
}

Vec3 SceneDialog::cameraPositionRas() const {
  double p[3];
  view_->renderer()->GetActiveCamera()->GetPosition(p);
  return {p[0], p[1], p[2]};
}

QImage SceneDialog::renderedView() {
  return view_->grabFramebuffer();
}

void SceneDialog::save() {
  const QString path = savePictureAs(this, renderedView(), folder_() + "/" + text_.fileName);
  if (!path.isEmpty()) emit saved(path);
}

}  // namespace dbs::app
