#include "render/ColourTables.h"

#include <algorithm>
#include <cmath>

#include "dbs/imaging/Labels.h"

namespace dbs::app {

namespace {

// The scalp's grey of the 3-D scene, for vertices that are not scored.
constexpr unsigned char kNotScoredGrey[3] = {150, 140, 132};
// Outside the search window the scale's colour is darkened, not greyed: its hue (red = a margin not
// met) still reads.
constexpr double kOutsideWindowShade = 0.5;

}  // namespace

vtkSmartPointer<vtkLookupTable> labelLookupTable() {
  auto table = vtkSmartPointer<vtkLookupTable>::New();
  int maxLabel = 0;
  for (const auto& l : standardLabels()) maxLabel = std::max(maxLabel, l.value);
  table->SetNumberOfTableValues(maxLabel + 1);
  table->SetTableRange(0, maxLabel);
  for (int v = 0; v <= maxLabel; ++v) table->SetTableValue(v, 0, 0, 0, 0);
  for (const auto& l : standardLabels())
    if (l.value < 20 || l.value > 24)
      table->SetTableValue(l.value, l.colour[0], l.colour[1], l.colour[2], 1.0);
  table->Build();
  return table;
}

vtkSmartPointer<vtkLookupTable> riskMapLookupTable() {
  // 8 mm over 256 entries; the entries below 0 mm red, then a ramp orange -> yellow -> green.
  auto table = vtkSmartPointer<vtkLookupTable>::New();
  constexpr int kEntries = 256;
  table->SetNumberOfTableValues(kEntries);
  table->SetTableRange(kRiskMapRangeMinMm, kRiskMapGreenAtMm);
  for (int i = 0; i < kEntries; ++i) {
    const double mm = kRiskMapRangeMinMm + (kRiskMapGreenAtMm - kRiskMapRangeMinMm) * (i + 0.5) / kEntries;
    if (mm < 0) {
      table->SetTableValue(i, 0.85, 0.10, 0.10, 1.0);
      continue;
    }
    const double t = mm / kRiskMapGreenAtMm;  // 0 orange, 0.5 yellow, 1 green
    const double r = t < 0.5 ? 1.0 : 1.0 - 1.7 * (t - 0.5);
    const double g = t < 0.5 ? 0.55 + 0.8 * t : 0.95 - 0.2 * (t - 0.5);
    table->SetTableValue(i, r, g, 0.1, 1.0);
  }
  table->SetBelowRangeColor(0.85, 0.10, 0.10, 1.0);
  table->UseBelowRangeColorOn();
  table->Build();
  return table;
}

std::array<unsigned char, 3> riskMapColour(const EntryAssessment& assessment) {
  if (!assessment.scored) return {kNotScoredGrey[0], kNotScoredGrey[1], kNotScoredGrey[2]};
  static const vtkSmartPointer<vtkLookupTable> table = riskMapLookupTable();
  // An unsafe entry is red whatever its margin value (the margin is the smallest surplus; safety is
  // the same test with the per-structure margins, so the two agree, but safe decides).
  const double mm = assessment.safe ? std::max(0.0, double(assessment.marginMm)) : kRiskMapRangeMinMm;
  double rgb[3];
  table->GetColor(mm, rgb);
  std::array<unsigned char, 3> out{};
  for (int c = 0; c < 3; ++c) {
    double v = rgb[c] * 255.0;
    if (!assessment.inWindow) v *= kOutsideWindowShade;
    out[static_cast<std::size_t>(c)] = static_cast<unsigned char>(std::lround(std::clamp(v, 0.0, 255.0)));
  }
  return out;
}

}  // namespace dbs::app
