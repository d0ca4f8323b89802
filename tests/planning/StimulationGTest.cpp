// The volume of tissue activated (issue 25): the three models' radii against a table computed from
// Lead-DBS's expressions, and the assessment on an analytic head whose structures are boxes at known
// places (left GPi, GPe lateral of it, internal capsule medial, optic tract below), so every volume,
// fraction and margin has a value to check.
#include <gtest/gtest.h>

#include <cmath>

#include "dbs/planning/Stimulation.h"

namespace dbs {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kGridSpacing = 0.5;   // mm
constexpr std::size_t kGridSize = 81;  // -20 .. +20 mm

// Left GPi: x -18..-6, y -10..10, z -8..8. GPe lateral of it (x -24..-18: beyond the grid's
// -20 edge it is cut, which does not matter), internal capsule medial (x -6..-2), optic tract below
// (z -12..-8). RAS mm.
bool inBox(Vec3 p, Vec3 lo, Vec3 hi) {
  return p.x >= lo.x && p.x < hi.x && p.y >= lo.y && p.y < hi.y && p.z >= lo.z && p.z < hi.z;
}
int labelOf(Vec3 p) {
  if (inBox(p, {-18, -10, -8}, {-6, 10, 8})) return labelValue("GPi_L");
  if (inBox(p, {-24, -10, -8}, {-18, 10, 8})) return labelValue("GPe_L");
  if (inBox(p, {-6, -10, -8}, {-2, 10, 8})) return labelValue("InternalCapsule_L");
  if (inBox(p, {-18, -10, -12}, {-6, 10, -8})) return labelValue("OpticTract_L");
  return 0;
}

class Stimulation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ImageGeometry g;
    g.size = {kGridSize, kGridSize, kGridSize};
    for (int a = 0; a < 3; ++a) g.rasFromIjk.m[a][a] = kGridSpacing;
    for (int a = 0; a < 3; ++a) g.rasFromIjk.m[a][3] = -20.0;
    risks_ = new RiskStructures;
    risks_->geometry = g;
    labels_ = new LabelVolume(makeLabelVolume(g));
    auto head = MaskImage::New();
    head->CopyInformation(labels_->image);
    head->SetRegions(labels_->image->GetLargestPossibleRegion());
    head->Allocate(true);
    unsigned short* l = labels_->image->GetBufferPointer();
    for (std::size_t k = 0, i = 0; k < kGridSize; ++k)
      for (std::size_t y = 0; y < kGridSize; ++y)
        for (std::size_t x = 0; x < kGridSize; ++x, ++i) {
          l[i] = static_cast<unsigned short>(labelOf(g.rasFromIndex({double(x), double(y), double(k)})));
          head->GetBufferPointer()[i] = 1;
        }
    risks_->headMask = head;
    risks_->brainMask = head;
    risks_->headDistanceMm = signedDistanceMm(head);
    for (std::size_t k = 0; k < kRiskKinds; ++k) {
      risks_->risks[k].kind = static_cast<RiskKind>(k);
      risks_->risks[k].present = false;
      risks_->risks[k].distanceMm = risks_->headDistanceMm;
    }
    field_ = new RiskField(*risks_, *labels_);
  }
  static void TearDownTestSuite() {
    delete field_;
    delete labels_;
    delete risks_;
  }
  // The left 3389 with its contact 1 at `centre` (what evaluateTrajectory would place there).
  static StimulationAssessment at(Vec3 centre, double volts, VtaModel model = VtaModel::Maedler2012) {
    Trajectory t;
    t.electrodeId = "medtronic_3389";
    TrajectoryMetrics m;
    PlacedContact c;
    c.label = "1";
    c.centreRas = centre;
    m.contacts.push_back(c);
    StimulationSettings s;
    s.activeContacts = {"1"};
    s.amplitude = volts;
    s.model = model;
    return assessStimulation(s, t, m, *field_);
  }
  static RiskStructures* risks_;
  static LabelVolume* labels_;
  static RiskField* field_;
};
RiskStructures* Stimulation::risks_ = nullptr;
LabelVolume* Stimulation::labels_ = nullptr;
RiskField* Stimulation::field_ = nullptr;

TEST(VtaModels, RadiiReproduceTheLeadDbsExpressions) {
  // Computed from Lead-DBS's ea_kuncel, maedler12_eq3 and dembek17_radius evaluated literally
  // (data/stimulation/SOURCES.md), mm. Columns: Kuncel; Maedler at 500, 1000, 1500 ohm; Dembek at
  // 1000 ohm 60 us, 1000 ohm 90 us, 500 ohm 60 us.
  struct Row {
    double volts, kuncel, maedler500, maedler1000, maedler1500, dembek60, dembek90, dembek500;
  };
  const Row table[] = {{1, 2.0226, 3.1352, 2.0085, 1.2728, 1.8974, 2.1428, 2.6833},
                       {2, 2.9388, 3.8533, 2.7923, 2.0151, 2.6833, 3.0304, 3.7947},
                       {3, 3.6307, 4.4242, 3.3941, 2.5978, 3.2863, 3.7114, 4.6476},
                       {4, 4.2104, 4.9128, 3.9015, 3.0936, 3.7947, 4.2856, 5.3666},
                       {5, 4.7194, 5.3468, 4.3486, 3.5328, 4.2426, 4.7914, 6.0000}};
  for (const Row& r : table) {
    SCOPED_TRACE(r.volts);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Kuncel2008, r.volts, r.volts / 1000, 60), r.kuncel, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Maedler2012, r.volts, r.volts / 500, 60), r.maedler500, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Maedler2012, r.volts, r.volts / 1000, 60), r.maedler1000, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Maedler2012, r.volts, r.volts / 1500, 60), r.maedler1500, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Dembek2017, r.volts, r.volts / 1000, 60), r.dembek60, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Dembek2017, r.volts, r.volts / 1000, 90), r.dembek90, 1e-3);
    EXPECT_NEAR(vtaRadiusMm(VtaModel::Dembek2017, r.volts, r.volts / 500, 60), r.dembek500, 1e-3);
  }
  // Below Kuncel's threshold (0.1 V) and at zero amplitude nothing is activated.
  EXPECT_EQ(vtaRadiusMm(VtaModel::Kuncel2008, 0.05, 0.05 / 1000, 60), 0.0);
  EXPECT_EQ(vtaRadiusMm(VtaModel::Maedler2012, 0, 0, 60), 0.0);
  EXPECT_EQ(vtaRadiusMm(VtaModel::Dembek2017, 0, 0, 60), 0.0);
  // Every model names its source.
  for (const VtaModelSpec& m : vtaModels()) {
    EXPECT_NE(m.citation.find("doi:"), std::string::npos) << m.name;
    EXPECT_NE(m.url.find("github.com/netstim/leaddbs"), std::string::npos) << m.name;
  }
}

TEST_F(Stimulation, ASphereInsideTheGpiIsAllGpiWithTheSpheresVolume) {
  const StimulationAssessment a = at({-12, -3, 0}, 3.0);
  ASSERT_EQ(a.spheres.size(), 1u);
  EXPECT_NEAR(a.spheres[0].radiusMm, 3.394, 1e-3);
  const double r = a.spheres[0].radiusMm;
  EXPECT_NEAR(a.volumeMm3, 4.0 / 3.0 * kPi * r * r * r, 0.02 * 4.0 / 3.0 * kPi * r * r * r);
  EXPECT_GT(a.fractionGpi, 0.99);
  EXPECT_LT(a.fractionGpe, 0.01);
  // Centred 3 mm behind the GPi's median (y = 0 on this symmetric box): almost all sensorimotor.
  EXPECT_GT(a.fractionSensorimotorGpi, 0.85);
  // 6 mm from the capsule's face (x = -6), 8 mm above the optic tract (z = -8): kept, by 6 - r and 8 - r
  // (within the half voxel the distance maps are measured to).
  EXPECT_NEAR(a.sideEffects[0].marginMm, 6.0 - r, 0.35);
  EXPECT_NEAR(a.sideEffects[1].marginMm, 8.0 - r, 0.35);
  EXPECT_FALSE(a.reachesSideEffectStructure());
  EXPECT_EQ(stimulationWarning(a), "");
}

TEST_F(Stimulation, ASphereReachingIntoTheCapsuleReportsItAndWarns) {
  const StimulationAssessment a = at({-7.5, 0, 0}, 3.0);
  const double r = a.spheres.at(0).radiusMm;
  const SideEffectReach& capsule =
      a.sideEffects[static_cast<std::size_t>(SideEffectStructure::InternalCapsule)];
  ASSERT_TRUE(capsule.assessed);
  EXPECT_TRUE(capsule.reaches());
  EXPECT_NEAR(capsule.marginMm, 1.5 - r, 0.35);  // the face is 1.5 mm from the contact
  EXPECT_EQ(capsule.contact, "1");
  EXPECT_NE(stimulationWarning(a).find("reaches the internal capsule"), std::string::npos)
      << stimulationWarning(a);
  EXPECT_NE(describeAssessment(a).find("internal capsule reached by"), std::string::npos);
  // Lower the amplitude and it no longer does: the margin grows monotonically as the radius shrinks.
  const StimulationAssessment low = at({-7.5, 0, 0}, 0.2);
  EXPECT_GT(low.sideEffects[0].marginMm, capsule.marginMm);
  EXPECT_FALSE(low.sideEffects[0].reaches()) << low.sideEffects[0].marginMm;
}

TEST_F(Stimulation, FractionsFollowTheBordersAndTheSensorimotorHalf) {
  // On the GPi/GPe border (x = -18): about half in each (the labelled border lies between voxel
  // centres, at -18.25, which moves about 7 % of this 2.8 mm sphere into the GPi).
  const StimulationAssessment border = at({-18, -3, 0}, 2.0);
  EXPECT_NEAR(border.fractionGpi, 0.5, 0.1);
  EXPECT_NEAR(border.fractionGpe, 0.5, 0.1);
  EXPECT_GT(border.fractionGpi + border.fractionGpe, 0.95);  // the rest lies beyond the grid's edge, x < -20
  // In front of the GPi's median y the sphere is in the associative half: no sensorimotor share.
  const StimulationAssessment anterior = at({-12, 5, 0}, 2.0);
  EXPECT_GT(anterior.fractionGpi, 0.99);
  EXPECT_LT(anterior.fractionSensorimotorGpi, 0.05);
  // Reaching into the optic tract from just above it.
  const StimulationAssessment low = at({-12, 0, -6.5}, 3.0);
  EXPECT_TRUE(low.sideEffects[static_cast<std::size_t>(SideEffectStructure::OpticTract)].reaches());
}

TEST_F(Stimulation, SeveralContactsASegmentAndBadSettings) {
  Trajectory t;
  t.electrodeId = "abbott_6172";
  TrajectoryMetrics m;
  PlacedContact ring, segment;
  ring.label = "1";
  ring.centreRas = {-12, -3, -2};
  segment.label = "2A";
  segment.centreRas = {-12, -3, 0};
  segment.segmentDirectionRas = Vec3{1, 0, 0};
  m.contacts = {ring, segment};
  StimulationSettings s;
  s.activeContacts = {"2A"};
  s.amplitude = 2.0;
  s.unit = AmplitudeUnit::MilliAmpere;
  s.model = VtaModel::Dembek2017;
  const StimulationAssessment one = assessStimulation(s, t, m, *field_);
  // The segment's sphere sits on its surface: half the lead's diameter towards the segment.
  const double diameter = ElectrodeCatalogue::standard().find("abbott_6172").diameterMm;
  EXPECT_NEAR(one.spheres.at(0).centreRas.x, -12 + diameter / 2, 1e-9);
  // Current-controlled over two contacts: the current is split, so each sphere is smaller.
  s.activeContacts = {"1", "2A"};
  const StimulationAssessment two = assessStimulation(s, t, m, *field_);
  ASSERT_EQ(two.spheres.size(), 2u);
  EXPECT_NEAR(two.spheres[0].radiusMm, vtaRadiusMm(VtaModel::Dembek2017, 0.001 * 1000, 0.001, 60), 1e-9);
  EXPECT_LT(two.spheres[0].radiusMm, one.spheres[0].radiusMm);
  EXPECT_NE(two.notes.front().find("split equally"), std::string::npos);
  // Refused by name: an unknown contact, an amplitude or pulse width out of range.
  s.activeContacts = {"9"};
  EXPECT_THROW(assessStimulation(s, t, m, *field_), std::invalid_argument);
  s.activeContacts = {"1"};
  s.amplitude = 30;
  EXPECT_THROW(assessStimulation(s, t, m, *field_), std::invalid_argument);
  s.amplitude = 2;
  s.pulseWidthUs = 5;
  EXPECT_THROW(assessStimulation(s, t, m, *field_), std::invalid_argument);
}

}  // namespace
}  // namespace dbs
