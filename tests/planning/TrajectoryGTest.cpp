// Trajectory scoring and search on a head whose geometry is known exactly: a 75 mm sphere of head,
// a ventricle block beside the vertical path, a sulcal slab, GPi blobs. Checks the scalp entry, the
// margins and where they occur, the frontal window, the search's count and distinctness, that the
// search and a hand-set trajectory are scored identically, and the electrode contacts' placement.
#include <gtest/gtest.h>

#include <cmath>

#include "dbs/imaging/RiskStructures.h"
#include "dbs/planning/ScoreTerms.h"
#include "dbs/planning/Trajectory.h"
#include "dbs/planning/TrajectorySearch.h"

namespace dbs {
namespace {

constexpr double kSpacing = 1.5;    // mm
constexpr std::size_t kSize = 121;  // voxels per axis: -90 .. +90 mm

ImageGeometry grid() {
  ImageGeometry g;
  g.size = {kSize, kSize, kSize};
  for (int a = 0; a < 3; ++a) g.rasFromIjk.m[a][a] = kSpacing;
  for (int a = 0; a < 3; ++a) g.rasFromIjk.m[a][3] = -90.0;
  return g;
}

MaskImage::Pointer maskOf(const ImageGeometry& g, const std::function<bool(Vec3)>& inside) {
  auto mask = MaskImage::New();
  LabelVolume reference = makeLabelVolume(g);  // for the ITK geometry
  mask->CopyInformation(reference.image);
  mask->SetRegions(reference.image->GetLargestPossibleRegion());
  mask->Allocate(true);
  unsigned char* m = mask->GetBufferPointer();
  for (std::size_t k = 0, i = 0; k < g.size[2]; ++k)
    for (std::size_t y = 0; y < g.size[1]; ++y)
      for (std::size_t x = 0; x < g.size[0]; ++x, ++i)
        m[i] = inside(g.rasFromIndex({double(x), double(y), double(k)})) ? 1 : 0;
  return mask;
}

// The left GPi target and the AC-PC frame of this head: AC-PC along RAS y, midline x = 0.
const Vec3 kTargetLeft{-20, 2, -4};
const Vec3 kTargetRight{20, 2, -4};
// The left internal capsule: a block medial of the left GPi (whose sphere reaches x = -15).
bool inCapsuleBlock(Vec3 p) {
  return p.x > -13 && p.x < -9 && p.y > -10 && p.y < 10 && p.z > -12 && p.z < 8;
}
bool inVentricleBlock(Vec3 p) {
  return p.x > -14 && p.x < -6 && p.y > -10 && p.y < 40 && p.z > 5 && p.z < 30;
}
// The left GPe: lateral and above the GPi, as a lead running in from above passes it.
bool inGpeLeft(Vec3 p) {
  return norm(p - Vec3{-27, 3, 1}) < 8;
}
// The left caudate: beside the ventricle block, in front and above the target.
bool inCaudateLeft(Vec3 p) {
  return p.x > -22 && p.x < -14 && p.y > 12 && p.y < 28 && p.z > 6 && p.z < 20;
}
// Two sulci grooving the left frontal convexity (2 mm wide, at y = 40 and y = 60), so that entries
// differ in how far they lie from a sulcal wall (the gyral-crown term).
bool inFrontalSulcus(Vec3 p) {
  return p.x < -5 && norm(p) > 56 && norm(p) < 65 && (std::abs(p.y - 40) < 1 || std::abs(p.y - 60) < 1);
}

class Trajectories : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const ImageGeometry g = grid();
    risks_ = new RiskStructures;
    risks_->geometry = g;
    risks_->headMask = maskOf(g, [](Vec3 p) { return norm(p) <= 75.0; });
    risks_->brainMask = maskOf(g, [](Vec3 p) { return norm(p) <= 65.0; });
    risks_->headDistanceMm = signedDistanceMm(risks_->headMask);
    const std::array<std::function<bool(Vec3)>, kRiskKinds> shapes{
        inVentricleBlock,
        // A sulcal slab on the left, high and posterior: paths behind y = -15 near the top cross it;
        // and two frontal sulci.
        [](Vec3 p) {
          return (p.x < -5 && p.y > -30 && p.y < -20 && p.z > 40 && norm(p) < 63) || inFrontalSulcus(p);
        },
        [](Vec3) { return false; }};
    for (std::size_t k = 0; k < kRiskKinds; ++k) {
      RiskMap& r = risks_->risks[k];
      r.kind = static_cast<RiskKind>(k);
      r.present = k != static_cast<std::size_t>(RiskKind::Vessels);
      r.mask = maskOf(g, shapes[k]);
      r.distanceMm = signedDistanceMm(r.mask);
    }
    labels_ = new LabelVolume(makeLabelVolume(g));
    unsigned short* l = labels_->image->GetBufferPointer();
    for (std::size_t k = 0, i = 0; k < kSize; ++k)
      for (std::size_t y = 0; y < kSize; ++y)
        for (std::size_t x = 0; x < kSize; ++x, ++i) {
          const Vec3 p = g.rasFromIndex({double(x), double(y), double(k)});
          if (norm(p - kTargetLeft) < 5)
            l[i] = static_cast<unsigned short>(labelValue("GPi_L"));
          else if (norm(p - kTargetRight) < 5)
            l[i] = static_cast<unsigned short>(labelValue("GPi_R"));
          else if (inVentricleBlock(p))
            l[i] = static_cast<unsigned short>(labelValue("Ventricle_L"));
          else if (inCapsuleBlock(p))
            l[i] = static_cast<unsigned short>(labelValue("InternalCapsule_L"));
          else if (inGpeLeft(p))
            l[i] = static_cast<unsigned short>(labelValue("GPe_L"));
          else if (inCaudateLeft(p))
            l[i] = static_cast<unsigned short>(labelValue("Caudate_L"));
        }
    field_ = new RiskField(*risks_, *labels_);
    acpc_ = new AcpcFrame({0, 12, -4}, {0, -12, -4}, {0, 0, 40});
  }
  static void TearDownTestSuite() {
    delete field_;
    delete acpc_;
    delete labels_;
    delete risks_;
  }
  PlanningContext context() const {
    PlanningContext c;
    c.field = field_;
    c.acpc = acpc_;
    c.electrodes = &ElectrodeCatalogue::standard();
    c.mniFromPatientRas = [](Vec3 p) { return p + Vec3{1, 2, 3}; };
    return c;
  }
  static RiskStructures* risks_;
  static LabelVolume* labels_;
  static RiskField* field_;
  static AcpcFrame* acpc_;
};
RiskStructures* Trajectories::risks_ = nullptr;
LabelVolume* Trajectories::labels_ = nullptr;
RiskField* Trajectories::field_ = nullptr;
AcpcFrame* Trajectories::acpc_ = nullptr;

TEST_F(Trajectories, ScalpEntryLiesOnTheHeadSurfaceAlongTheRay) {
  const Vec3 direction = normalized(Vec3{-0.3, 0.5, 1.0});
  const auto entry = scalpEntryAlong(*field_, kTargetLeft, direction);
  ASSERT_TRUE(entry);
  // On the sphere (within the voxel discretisation of the mask's surface) and on the ray.
  EXPECT_NEAR(norm(*entry), 75.0, kSpacing);
  const Vec3 along = *entry - kTargetLeft;
  EXPECT_NEAR(norm(cross(along, direction)), 0.0, 1e-6);
  EXPECT_GT(dot(along, direction), 0);
  // A target outside the head has no entry.
  EXPECT_FALSE(scalpEntryAlong(*field_, {0, 0, 80}, direction));
}

TEST_F(Trajectories, MarginsAndWhereTheyOccurAreMeasuredAlongThePath) {
  // Straight up from the left target at x = -20: the ventricle block's lateral face is at x = -14,
  // 6 mm medial, over depths z = 5..30 (9..34 mm above the target).
  Trajectory t;
  t.side = Side::Left;
  t.targetRas = kTargetLeft;
  t.entryRas = *scalpEntryAlong(*field_, kTargetLeft, {0, 0, 1});
  const TrajectoryMetrics m = evaluateTrajectory(context(), t);
  const ClosestApproach& v = m.closest[static_cast<std::size_t>(RiskKind::Ventricles)];
  EXPECT_NEAR(v.distanceMm, 6.0, 0.8);  // within about half a 1.5 mm voxel
  EXPECT_GT(v.depthMm, 8.0);
  EXPECT_LT(v.depthMm, 35.0);
  EXPECT_TRUE(v.safe);
  EXPECT_FALSE(m.closest[static_cast<std::size_t>(RiskKind::Vessels)].present);
  EXPECT_NEAR(m.lengthMm, norm(t.entryRas - t.targetRas), 1e-9);
  EXPECT_NEAR(m.sagittalAngleDeg, 90.0, 1e-6);
  EXPECT_NEAR(m.lateralAngleDeg, 0.0, 1e-6);
  EXPECT_NEAR(m.angleToAcpcLineDeg, 90.0, 1e-6);
  EXPECT_TRUE(m.ownSide);
  ASSERT_TRUE(m.targetMni);
  EXPECT_NEAR(m.targetMni->z, kTargetLeft.z + 3, 1e-9);
  // AC-PC coordinates relative to the MCP (0, 0, -4): 20 mm left = x -20.
  EXPECT_NEAR(m.targetAcpc.x, -20, 1e-9);
  EXPECT_NEAR(m.targetAcpc.y, 2, 1e-9);
  EXPECT_NEAR(m.targetAcpc.z, 0, 1e-9);

  // Moved by hand through the ventricle block: re-scored, unsafe, the crossing found.
  Trajectory through = t;
  through.origin = TrajectoryOrigin::Manual;
  through.entryRas = *scalpEntryAlong(*field_, kTargetLeft, normalized(Vec3{0.5, 0.3, 1.0}));
  const TrajectoryMetrics bad = evaluateTrajectory(context(), through);
  const ClosestApproach& crossed = bad.closest[static_cast<std::size_t>(RiskKind::Ventricles)];
  EXPECT_LT(crossed.distanceMm, 0.0);
  EXPECT_FALSE(crossed.safe);
  EXPECT_FALSE(bad.safe);
  EXPECT_LT(bad.score, m.score);
  bool passesVentricle = false;
  for (const PathSection& s : bad.passesThrough) passesVentricle |= s.structure == "Ventricle_L";
  EXPECT_TRUE(passesVentricle);
}

// The scalp risk map's scoring (issue 10): an entry whose path to the target crosses the ventricle
// block is unsafe with a negative margin, an entry in the window leading away from the block is safe, and
// each agrees with evaluateTrajectory on the same path; outside the window it is flagged and, with
// EntryScope::InWindowOnly, left unscored.
TEST_F(Trajectories, EntryAssessmentsMarkVentricleCrossingEntriesUnsafeAndAgreeWithTheScoring) {
  const PlanningContext c = context();
  Trajectory t;
  t.side = Side::Left;
  t.targetRas = kTargetLeft;
  const Vec3 overVentricle = *scalpEntryAlong(*field_, kTargetLeft, normalized(Vec3{0.5, 0.3, 1.0}));
  // 70 degrees to the AC-PC line, 10 degrees lateral: inside the window, away from the block.
  const Vec3 inWindow =
      *scalpEntryAlong(*field_, kTargetLeft, directionFromAngles(*acpc_, Side::Left, 70, 10));
  // Lateral and behind: outside the frontal window (its entry lies behind the AC-PC origin).
  const Vec3 behind = *scalpEntryAlong(*field_, kTargetLeft, normalized(Vec3{-0.4, -1.0, 1.0}));
  const std::vector<Vec3> entries{overVentricle, inWindow, behind, kTargetLeft + Vec3{0, 0, 0.5}};
  const std::vector<EntryAssessment> a = assessEntries(c, t, entries);
  ASSERT_EQ(a.size(), entries.size());

  EXPECT_TRUE(a[0].scored);
  EXPECT_FALSE(a[0].safe) << "the path crosses the ventricle block";
  EXPECT_LT(a[0].clearanceMm, 0.0f);
  EXPECT_LT(a[0].marginMm, 0.0f);

  EXPECT_TRUE(a[1].safe);
  EXPECT_TRUE(a[1].inWindow);
  EXPECT_GT(a[1].clearanceMm, 6.0 - 0.8);  // the block's lateral face is 6 mm medial of the target
  EXPECT_NEAR(a[1].marginMm, a[1].clearanceMm - c.settings.requiredMarginMm[0], 1e-4)
      << "the ventricles are the nearest structure and need 2 mm";

  for (int i : {0, 1}) {  // the same numbers as the scoring of a trajectory with that entry
    Trajectory withEntry = t;
    withEntry.entryRas = entries[static_cast<std::size_t>(i)];
    const TrajectoryMetrics m = evaluateTrajectory(c, withEntry);
    EXPECT_NEAR(a[static_cast<std::size_t>(i)].score, m.score, 1e-5);
    EXPECT_EQ(a[static_cast<std::size_t>(i)].safe, m.safe);
    EXPECT_EQ(a[static_cast<std::size_t>(i)].inWindow, m.inWindow);
  }
  EXPECT_TRUE(a[2].scored);
  EXPECT_FALSE(a[2].inWindow);
  EXPECT_FALSE(a[3].scored) << "an entry within 1 mm of the target is no path";

  const std::vector<EntryAssessment> windowOnly = assessEntries(c, t, entries, EntryScope::InWindowOnly);
  EXPECT_TRUE(windowOnly[1].scored);
  EXPECT_NEAR(windowOnly[1].score, a[1].score, 1e-6);
  EXPECT_FALSE(windowOnly[2].scored) << "outside the window: not scored while only the window is";
}

TEST_F(Trajectories, SideEffectMarginsRunFromTheNearestContactsSurface) {
  const PlanningContext c = context();
  // A vertical lead on the left GPi: its axis at x = -20, the capsule's face at x = -13 (voxel
  // centres from -12.75; faces half a voxel further out), the lead's radius 0.635 mm.
  Trajectory t;
  t.side = Side::Left;
  t.targetRas = kTargetLeft;
  t.entryRas = kTargetLeft + Vec3{0, 0, 60};
  const TrajectoryMetrics m = evaluateTrajectory(c, t);
  const SideEffectMargin& capsule =
      m.sideEffects[static_cast<std::size_t>(SideEffectStructure::InternalCapsule)];
  ASSERT_TRUE(capsule.assessed);
  EXPECT_EQ(capsule.structure, SideEffectStructure::InternalCapsule);
  EXPECT_NEAR(capsule.distanceMm, 7.0 - 0.635, 1.6);  // one voxel of quantisation
  EXPECT_GT(capsule.distanceMm, 0.0);
  EXPECT_FALSE(capsule.contact.empty());
  EXPECT_NEAR(capsule.pointRas.x, -20.0, 1e-6);  // a point of the lead's own axis
  // The optic tract is not in these labels: not assessed, and said so in words, with no number.
  const SideEffectMargin& tract = m.sideEffects[static_cast<std::size_t>(SideEffectStructure::OpticTract)];
  EXPECT_FALSE(tract.assessed);
  EXPECT_NE(sideEffectMarginText(tract).find("not assessed"), std::string::npos);
  EXPECT_EQ(sideEffectMarginText(tract).find_first_of("0123456789"), std::string::npos);

  // The deepest contact placed inside the capsule: the margin is at most 0, on contact 0.
  Trajectory inside = t;
  inside.targetRas = {-11, 0, -2};
  inside.entryRas = inside.targetRas + Vec3{0, 0, 60};
  const SideEffectMargin in = evaluateTrajectory(c, inside).sideEffects[0];
  ASSERT_TRUE(in.assessed);
  EXPECT_LE(in.distanceMm, 0.0);
  EXPECT_EQ(in.contact, "0");
  EXPECT_NE(sideEffectMarginText(in).find("into it"), std::string::npos);
}

TEST_F(Trajectories, ElectrodeContactsSitAtTheirCatalogueDistancesFromTheTarget) {
  Trajectory t;
  t.side = Side::Left;
  t.targetRas = kTargetLeft;
  t.entryRas = *scalpEntryAlong(*field_, kTargetLeft, normalized(Vec3{-0.2, 0.4, 1}));
  const Vec3 u = normalized(t.entryRas - t.targetRas);
  const TrajectoryMetrics m = evaluateTrajectory(context(), t);
  const ElectrodeModel& lead = ElectrodeCatalogue::standard().find("medtronic_3389");
  ASSERT_EQ(m.contacts.size(), lead.contacts.size());
  // Deepest contact centred on the target; the others proximal at the catalogue's spacing (2 mm).
  EXPECT_NEAR(norm(m.contacts[0].centreRas - t.targetRas), 0.0, 1e-9);
  for (std::size_t c = 1; c < m.contacts.size(); ++c) {
    const double along = dot(m.contacts[c].centreRas - t.targetRas, u);
    EXPECT_NEAR(along, lead.contacts[c].centreMm() - lead.contacts[0].centreMm(), 1e-9);
  }
  EXPECT_TRUE(m.contacts[0].inGpi);
  EXPECT_GE(m.contactsInGpi, 2);  // the GPi blob has a 5 mm radius: contacts 0-2 lie within it
  EXPECT_NEAR(m.tipBeyondTargetMm, lead.contacts[0].centreMm(), 1e-9);

  // Directional lead, 1 mm deeper: segments face directions 120 deg apart, perpendicular to the axis,
  // the first one (marker side) facing anterior when the roll is 0.
  t.electrodeId = "boston_scientific_db2202";
  t.deepestContactBeyondTargetMm = 1.0;
  const TrajectoryMetrics d = evaluateTrajectory(context(), t);
  std::vector<Vec3> level1;
  for (const PlacedContact& c : d.contacts)
    if (c.level == 1) {
      ASSERT_TRUE(c.segmentDirectionRas);
      EXPECT_NEAR(dot(*c.segmentDirectionRas, u), 0.0, 1e-9);
      level1.push_back(*c.segmentDirectionRas);
    }
  ASSERT_EQ(level1.size(), 3u);
  EXPECT_NEAR(dot(level1[0], level1[1]), std::cos(2 * M_PI / 3), 1e-9);
  EXPECT_NEAR(norm(d.contacts[0].centreRas - (t.targetRas - 1.0 * u)), 0.0, 1e-9);
  EXPECT_THROW(
      evaluateTrajectory(context(), Trajectory{Side::Left, kTargetLeft, kTargetLeft + Vec3{0, 0, 0.5}}),
      std::invalid_argument);
  Trajectory unknown = t;
  unknown.electrodeId = "no_such_lead";
  EXPECT_THROW(evaluateTrajectory(context(), unknown), std::invalid_argument);
}

TEST_F(Trajectories, SearchScoresTenThousandEntriesInTheWindowAndKeepsDistinctSafeOnes) {
  for (Side side : kBothSides) {
    const Vec3 target = side == Side::Left ? kTargetLeft : kTargetRight;
    const PlanningContext c = context();
    const SearchResult r = searchTrajectories(c, side, target, "medtronic_3389");
    EXPECT_GE(r.candidates, 10000u) << sideWord(side);
    ASSERT_EQ(r.best.size(), c.settings.alternatives) << sideWord(side);
    for (std::size_t i = 0; i < r.best.size(); ++i) {
      const TrajectoryMetrics& m = r.bestMetrics[i];
      EXPECT_TRUE(m.safe) << sideWord(side) << i;
      EXPECT_TRUE(m.inWindow) << sideWord(side) << i;
      EXPECT_TRUE(m.ownSide) << sideWord(side) << i;
      // From above and in front: entry superior and anterior of the target, on the scalp.
      EXPECT_GT(r.best[i].entryRas.z, target.z + 40) << sideWord(side) << i;
      EXPECT_GT(r.best[i].entryRas.y, target.y) << sideWord(side) << i;
      EXPECT_LT(m.entryScalpDistanceMm, 0.1) << sideWord(side) << i;
      EXPECT_GE(m.closest[0].distanceMm, c.settings.requiredMarginMm[0]) << sideWord(side) << i;
      // The search and a hand-set trajectory are scored the same way.
      Trajectory manual = r.best[i];
      manual.origin = TrajectoryOrigin::Manual;
      EXPECT_DOUBLE_EQ(evaluateTrajectory(c, manual).score, m.score);
      if (i > 0) {
        EXPECT_LE(m.score, r.bestMetrics[i - 1].score + 1e-12);
      }
      for (std::size_t j = 0; j < i; ++j)
        EXPECT_GE(norm(r.best[i].entryRas - r.best[j].entryRas), c.settings.distinctEntryMm);
    }
  }
}

// Issue 22: every term of the score, on this head. Raising one term's weight can only move the
// search's choice towards a better value of that term (the search is exhaustive over the same
// candidates, so the optimum of f + w g has g non-decreasing in w); and each term does vary over the
// window here, so the check is not empty.
TEST_F(Trajectories, RaisingATermsWeightMovesTheChoiceTowardsThatTerm) {
  PlanningContext base = context();
  base.settings.candidatesPerSide = 3000;
  base.settings.alternatives = 1;
  for (std::size_t k = 0; k < kScoreTerms; ++k) {
    const auto term = static_cast<ScoreTerm>(k);
    const char* name = kScoreTermNames.name(term);
    // From the GPi sphere's centre (r 5 mm) the two deepest contacts (up to 2.75 mm above the
    // target) stay in it whatever the angle; 3.5 mm anterior of the centre, paths leaning forwards
    // leave it sooner than steep ones, so contacts_in_gpi varies there.
    const Vec3 target = term == ScoreTerm::ContactsInGpi ? kTargetLeft + Vec3{0, 3.5, 0} : kTargetLeft;
    PlanningContext low = base, high = base;
    low.settings.scoreWeights[k] = 0;
    high.settings.scoreWeights[k] = term == ScoreTerm::Length ? 0.5 : 5;
    const SearchResult a = searchTrajectories(low, Side::Left, target, "medtronic_3389");
    const SearchResult b = searchTrajectories(high, Side::Left, target, "medtronic_3389");
    ASSERT_FALSE(a.best.empty()) << name;
    ASSERT_FALSE(b.best.empty()) << name;
    ASSERT_TRUE(a.bestMetrics[0].safe && b.bestMetrics[0].safe) << name;
    const double before = a.bestMetrics[0].scoreTerms[k].value, after = b.bestMetrics[0].scoreTerms[k].value;
    if (term == ScoreTerm::Length)
      EXPECT_LE(after, before + 1e-9) << "a heavier length term chose a longer path";
    else
      EXPECT_GE(after, before - 1e-9) << name << ": its heavier weight chose a worse value";
    // The term varies over the window on this head: over a sweep of in-window directions its
    // value spans at least 0.05 (length: 5 mm).
    double lo = 1e9, hi = -1e9;
    for (double sag = 52; sag <= 84; sag += 4)
      for (double lat = -8; lat <= 28; lat += 4) {
        Trajectory t;
        t.side = Side::Left;
        t.targetRas = target;
        const auto entry =
            scalpEntryAlong(*field_, target, directionFromAngles(*acpc_, Side::Left, sag, lat));
        if (!entry) continue;
        t.entryRas = *entry;
        const double v = evaluateTrajectory(base, t).scoreTerms[k].value;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    EXPECT_GE(hi - lo, term == ScoreTerm::Length ? 0.5 : 0.05) << name << " is constant over the window here";
  }
}

// The score is the sum of its terms, and each term says what it measured on a path whose geometry
// is known: a vertical path straight up from the GPi's centre.
TEST_F(Trajectories, ScoreTermsSumToTheScoreAndMeasureWhatTheySay) {
  const PlanningContext c = context();
  Trajectory t;
  t.side = Side::Left;
  t.targetRas = kTargetLeft;
  t.entryRas = *scalpEntryAlong(*field_, kTargetLeft, {0, 0, 1});
  const TrajectoryMetrics m = evaluateTrajectory(c, t);
  double sum = 0;
  for (const ScoreTermValue& v : m.scoreTerms) sum += v.contribution;
  EXPECT_NEAR(sum, m.score, 1e-9);
  for (std::size_t k = 0; k < kScoreTerms; ++k)
    EXPECT_NEAR(m.scoreTerms[k].contribution,
                (k == static_cast<std::size_t>(ScoreTerm::Length) ? -1 : 1) * c.settings.scoreWeights[k] *
                    m.scoreTerms[k].value,
                1e-12);
  auto value = [&](ScoreTerm term) { return m.scoreTerms[static_cast<std::size_t>(term)].value; };
  // Straight up, the GPi sphere (r 5 mm) leaves 5 mm below the deepest contact (centred on the
  // target): 2 mm past the best range, so 1 - 2 / 4.
  EXPECT_NEAR(value(ScoreTerm::VentralBorder), 0.5, 0.2);  // the sphere is voxelised at 1.5 mm
  // Lateral angle 0 (the usual range's edge: 0.7), sagittal 90 (15 deg past 75: 0.7 x (1 - 15/15) = 0).
  EXPECT_NEAR(value(ScoreTerm::LateralAngle), 0.7, 1e-6);
  EXPECT_NEAR(value(ScoreTerm::SagittalAngle), 0.0, 1e-6);
  EXPECT_NEAR(value(ScoreTerm::Length), m.lengthMm / 10, 1e-12);
  // Contacts 0-2 of a 3389 (levels 1.5 mm long at 2 mm spacing) lie in the GPi sphere; level 3
  // (5.25-6.75 mm above the target) in the GPe above it (the GPe reaches z = 1 + sqrt(64 - 49)).
  // contacts_in_gpi counts the two deepest (scoring.json deepest_levels): wholly in, 1.
  EXPECT_EQ(scoringModel().gpiLevels, 2);
  EXPECT_NEAR(value(ScoreTerm::ContactsInGpi), 1.0, 1e-12);
  EXPECT_GE(value(ScoreTerm::ContactsInPallidum), 0.9);
  // A target 3 mm lower, in the GPi's ventral part, leaves it about 2 mm below: the best range.
  Trajectory ventral = t;
  ventral.targetRas = kTargetLeft + Vec3{0, 0, -3};
  ventral.entryRas = *scalpEntryAlong(*field_, ventral.targetRas, {0, 0, 1});
  const TrajectoryMetrics v = evaluateTrajectory(c, ventral);
  EXPECT_GT(v.scoreTerms[static_cast<std::size_t>(ScoreTerm::VentralBorder)].value,
            value(ScoreTerm::VentralBorder) + 0.2);
  // A target outside the GPi: no ventral border term, no contacts in it.
  Trajectory outside = t;
  outside.targetRas = kTargetLeft + Vec3{0, 0, -12};
  outside.entryRas = *scalpEntryAlong(*field_, outside.targetRas, {0, 0, 1});
  const TrajectoryMetrics o = evaluateTrajectory(c, outside);
  EXPECT_EQ(o.scoreTerms[static_cast<std::size_t>(ScoreTerm::VentralBorder)].value, 0.0);
}

// Issue 22: the default choice is not pinned to the window's edge, and its angles are the usual
// ones the scoring cites (data/trajectory/SOURCES.md 6).
TEST_F(Trajectories, TheDefaultChoiceLiesInsideTheWindowAtTheUsualAngles) {
  const PlanningContext c = context();
  const ScoringModel& model = scoringModel();
  for (Side side : kBothSides) {
    const SearchResult r =
        searchTrajectories(c, side, side == Side::Left ? kTargetLeft : kTargetRight, "medtronic_3389");
    ASSERT_FALSE(r.best.empty());
    const TrajectoryMetrics& m = r.bestMetrics[0];
    EXPECT_GE(m.windowInsideDeg, 3.0) << sideWord(side) << ": " << windowPlacementText(m);
    EXPECT_GE(m.sagittalAngleDeg, model.sagittal.usualMinDeg) << sideWord(side);
    EXPECT_LE(m.sagittalAngleDeg, model.sagittal.usualMaxDeg) << sideWord(side);
    EXPECT_GE(m.lateralAngleDeg, model.lateral.usualMinDeg) << sideWord(side);
    EXPECT_LE(m.lateralAngleDeg, model.lateral.usualMaxDeg) << sideWord(side);
  }
}

TEST_F(Trajectories, DirectionFromAnglesRoundTripsThroughTheMetrics) {
  for (double sag : {55.0, 70.0, 84.0})
    for (double lat : {-5.0, 10.0, 25.0})
      for (Side side : kBothSides) {
        Trajectory t;
        t.side = side;
        t.targetRas = side == Side::Left ? kTargetLeft : kTargetRight;
        t.entryRas = t.targetRas + 60.0 * directionFromAngles(*acpc_, side, sag, lat);
        const TrajectoryMetrics m = evaluateTrajectory(context(), t);
        EXPECT_NEAR(m.sagittalAngleDeg, sag, 1e-9);
        EXPECT_NEAR(m.lateralAngleDeg, lat, 1e-9);
        // Lateral means away from the midline, whichever the side.
        if (lat > 0) {
          EXPECT_GT(std::abs(t.entryRas.x), std::abs(t.targetRas.x));
        }
      }
}

}  // namespace
}  // namespace dbs

namespace dbs {
namespace {

// Issue 23, defect 5: side-effect structures closer than their warning distance are said to be, in
// the one wording the CLI, the panel and the report use; the path stays safe (a warning).
TEST(SideEffectWarning, StructuresCloserThanTheirWarningDistanceAreWarnedInTheVerdict) {
  TrajectoryMetrics m;
  m.safe = true;
  auto& capsule = m.sideEffects[static_cast<std::size_t>(SideEffectStructure::InternalCapsule)];
  auto& tract = m.sideEffects[static_cast<std::size_t>(SideEffectStructure::OpticTract)];
  capsule = {SideEffectStructure::InternalCapsule, true, 4.9, "0", {}};
  tract = {SideEffectStructure::OpticTract, true, 1.8, "0", {}};
  EXPECT_EQ(sideEffectWarningMm(SideEffectStructure::InternalCapsule), 2.0);
  EXPECT_EQ(sideEffectWarningMm(SideEffectStructure::OpticTract), 1.0);
  EXPECT_EQ(marginVerdict(m), "keeps every required margin");
  EXPECT_EQ(sideEffectMarginText(tract), "optic tract 1.8 mm from contact 0's surface");

  tract.distanceMm = 0.4;
  capsule.distanceMm = 1.5;
  EXPECT_TRUE(tract.tooClose());
  EXPECT_EQ(sideEffectMarginText(tract),
            "optic tract 0.4 mm from contact 0's surface: CLOSER THAN 1.0 mm, phosphenes likely");
  EXPECT_EQ(
      sideEffectMarginText(capsule),
      "internal capsule 1.5 mm from contact 0's surface: CLOSER THAN 2.0 mm, capsular side effects likely");
  EXPECT_EQ(
      marginVerdict(m),
      "keeps every required margin; WARNING, side effects likely: internal capsule 1.5 mm from contact 0 "
      "(under 2.0 mm), optic tract 0.4 mm from contact 0 (under 1.0 mm)");
  m.safe = false;
  EXPECT_EQ(marginVerdict(m).rfind("DOES NOT keep every required margin; WARNING", 0), 0u);
  tract.assessed = false;  // not located: no number, no warning
  capsule.distanceMm = 3;
  EXPECT_FALSE(tract.tooClose());
  EXPECT_EQ(marginVerdict(m), "DOES NOT keep every required margin");
}

}  // namespace
}  // namespace dbs
