#include "cli/CliSupport.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "dbs/imaging/TemplateSpace.h"
#include "dbs/imaging/TextFormat.h"
#include "dbs/planning/FrameRegistration.h"

namespace dbs::app {

namespace {

nlohmann::json vecJson(Vec3 v) {
  return nlohmann::json::array({v.x, v.y, v.z});
}

}  // namespace

// ---- Output --------------------------------------------------------------------------------------

std::string terminalSafe(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  char hex[16];
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else if (c1) {
      std::snprintf(hex, sizeof hex, "\\xc2\\x%02x", static_cast<unsigned char>(text[++i]));
      out += hex;
    } else {
      out += text[i];
    }
  }
  return out;
}

ProgressCallback stderrProgress() {
  auto lastPercent = std::make_shared<int>(-1);
  auto lastStep = std::make_shared<std::string>();
  return [lastPercent, lastStep](double fraction, const std::string& step) {
    const int percent = static_cast<int>(fraction * 100);
    if (step != *lastStep || percent >= *lastPercent + 10) {
      std::cerr << "[" << std::setw(3) << percent << "%] " << step << "\n";
      *lastPercent = percent;
      *lastStep = step;
    }
    return true;
  };
}

bool printProgress(double fraction, const std::string& step) {
  std::cerr << "[" << std::setw(3) << static_cast<int>(fraction * 100) << "%] " << step << "\n";
  return true;
}

std::string fixed(double value, int digits) {
  return fixedText(value, digits);
}

std::string triple(Vec3 v, int digits) {
  return vecText(v, digits);
}

nlohmann::json volumeInfoJson(const Volume& volume) {
  const ImageGeometry& g = volume.geometry;
  const IntensityRange range = intensityRange(*volume.image);
  nlohmann::json matrix = nlohmann::json::array();
  for (int r = 0; r < 4; ++r)
    matrix.push_back(
        {g.rasFromIjk.m[r][0], g.rasFromIjk.m[r][1], g.rasFromIjk.m[r][2], g.rasFromIjk.m[r][3]});
  const auto bounds = g.rasBoundsMm();
  nlohmann::json j;
  j["path"] = volume.path;
  j["format"] = volume.format;
  j["pixel_type"] = volume.storedPixelType;
  j["dimensions"] = {g.size[0], g.size[1], g.size[2]};
  j["spacing_mm"] = vecJson(g.spacingMm());
  j["orientation"] = g.orientationCode();
  j["orientation_convention"] = "letter i = patient direction voxel axis i points towards (nibabel)";
  j["geometry_source"] = volume.geometrySource;
  // What the file does not give and the loader filled in: dbsplan plans on none of it.
  j["geometry_not_in_file"] = volume.geometryNotInFile;
  j["ras_from_ijk"] = matrix;
  j["bounds_ras_mm"] = {{"min", vecJson(bounds[0])}, {"max", vecJson(bounds[1])}};
  j["centre_ras_mm"] =
      vecJson(g.rasFromIndex({(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0}));
  j["intensity"] = {{"min", range.min},
                    {"max", range.max},
                    {"p0_5", range.robustLow},
                    {"p99_5", range.robustHigh},
                    {"finite_voxels", range.finiteVoxels},
                    {"non_finite_voxels", std::max(range.nonFiniteVoxels, volume.nonFiniteVoxelsInFile)}};
  j["notes"] = volume.notes;
  return j;
}

void printTrajectorySummary(const PlannedTrajectory& p, std::ostream& out) {
  const Trajectory& t = p.trajectory;
  const TrajectoryMetrics& m = p.metrics;
  out << "  " << (t.side == Side::Left ? "LEFT " : "RIGHT ") << terminalSafe(t.id) << " ("
      << kTrajectoryOriginNames.name(t.origin) << "), electrode " << terminalSafe(t.electrodeId)
      << ", deepest contact " << fixed(t.deepestContactBeyondTargetMm) << " mm beyond the target, roll "
      << fixed(t.markerRollDeg, 0) << " deg\n";
  out << "    target RAS " << triple(t.targetRas) << " mm, AC-PC " << triple(m.targetAcpc) << " mm from MCP";
  if (m.targetMni) out << ", " << kTemplateSpaceShortName << " " << triple(*m.targetMni);
  out << "\n    entry  RAS " << triple(t.entryRas) << " mm, AC-PC " << triple(m.entryAcpc) << "\n";
  out << "    length " << fixed(m.lengthMm) << " mm, " << fixed(m.sagittalAngleDeg)
      << " deg to the AC-PC line (sagittal projection), " << fixed(m.lateralAngleDeg)
      << " deg lateral to the midsagittal plane\n";
  out << "    margins:";
  for (const ClosestApproach& c : m.closest) {
    out << " " << riskName(c.kind) << " ";
    if (!c.present) {
      out << "not assessed;";
      continue;
    }
    out << fixed(c.distanceMm) << " mm at " << fixed(std::abs(c.depthMm)) << " mm "
        << (c.depthMm >= 0 ? "above" : "below") << " the target" << (c.safe ? "" : " UNSAFE") << ";";
  }
  out << "\n    side effects:";
  for (const SideEffectMargin& e : m.sideEffects) out << " " << terminalSafe(sideEffectMarginText(e)) << ";";
  out << "\n    contacts in GPi: " << m.contactsInGpi << " of " << m.contacts.size() << "; "
      << marginVerdict(m) << "\n";
  out << "    why: " << scoreExplanation(m) << "\n";
  out << "    window: " << windowPlacementText(m) << "\n";
}

void printPlanSummary(const PlanDocument& plan, std::ostream& out) {
  out << "plan (schema " << kPlanSchema << " v" << plan.schemaVersion << ", dbsplan "
      << terminalSafe(plan.programVersion) << ", created " << terminalSafe(plan.created) << ")\n";
  out << "  image: " << terminalSafe(plan.image.path) << "\n";
  const std::string imageProblem = planImageProblem(plan);
  out << "  sha256: " << terminalSafe(plan.image.sha256)
      << (imageProblem.empty() ? "  (matches the image on disk)" : "  (" + terminalSafe(imageProblem) + ")");
  out << "\n  AC " << triple(plan.acRas) << ", PC " << triple(plan.pcRas) << ", MCP " << triple(plan.mcpRas)
      << " (RAS mm)\n";
  for (const Side side : kBothSides)
    if (const PlanTarget* proposed = planTarget(plan, side, TargetSource::Proposed)) {
      const PlanTarget* atlas = planTarget(plan, side, TargetSource::Atlas);
      out << "  proposed target " << sideLetter(side) << ": AC-PC " << triple(proposed->acpc)
          << " (the sensorimotor GPi inside the published indirect range where they overlap"
          << (atlas ? "; " + fixed(norm(proposed->ras - atlas->ras)) + " mm from the atlas target" : "")
          << ")\n";
    }
  for (const TargetAgreement& a : targetAgreements(plan))
    out << "  targets " << sideLetter(a.side) << ": atlas AC-PC " << triple(a.atlasAcpc)
        << ", indirect AC-PC " << triple(a.indirectAcpc) << ", " << fixed(a.distanceMm) << " mm apart"
        << (a.agrees() ? ""
                       : " (MORE than " + fixed(kTargetAgreementToleranceMm, 0) + " mm: review the target; " +
                             targetChoiceText(a) + ")")
        << "\n";
  out << "  search: " << plan.search.candidates << " candidates scored in " << fixed(plan.search.seconds, 3)
      << " s\n";
  for (const PlannedTrajectory& p : plan.trajectories) printTrajectorySummary(p, out);
  if (!plan.alternatives.empty()) out << "  alternatives (dbsplan edit --choose SIDE ID):\n";
  for (const PlannedTrajectory& a : plan.alternatives) {
    const TrajectoryMetrics& m = a.metrics;
    out << "    " << terminalSafe(a.trajectory.id) << ": entry RAS " << triple(a.trajectory.entryRas)
        << ", length " << fixed(m.lengthMm) << " mm, " << fixed(m.sagittalAngleDeg) << " deg sagittal, "
        << fixed(m.lateralAngleDeg) << " deg lateral, ventricles " << fixed(m.closest[0].distanceMm)
        << " mm, sulci " << fixed(m.closest[1].distanceMm) << " mm, " << m.contactsInGpi
        << " contacts in GPi, score " << fixed(m.score, 2) << ", " << (m.safe ? "safe" : "UNSAFE") << "\n";
  }
  for (const std::string& line : frameSheetLines(plan)) out << "  " << terminalSafe(line) << "\n";
  for (const std::string& line : stimulationSheetLines(plan)) out << "  " << terminalSafe(line) << "\n";
  if (!plan.reviewNote.empty()) out << "  review note: " << terminalSafe(plan.reviewNote) << "\n";
  if (!plan.history.empty()) {
    out << "  edits by hand: " << plan.history.size()
        << " (last: " << kEditActionNames.name(plan.history.back().action) << " "
        << (plan.history.back().side ? std::string(1, sideLetter(*plan.history.back().side)) : std::string())
        << " at " << terminalSafe(plan.history.back().time) << ")\n";
  }
  for (const std::string& note : plan.notes) out << "  note: " << terminalSafe(note) << "\n";
}

// ---- Parsing -------------------------------------------------------------------------------------

std::optional<double> parseNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || !end || *end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parseWholeNumber(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || !end || *end != '\0') return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

std::optional<std::vector<double>> parseNumberList(const std::string& text) {
  std::vector<double> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::optional<double> v = parseNumber(text.substr(start, comma - start));
    if (!v) return std::nullopt;
    values.push_back(*v);
    if (comma == std::string::npos) return values;
    start = comma + 1;
  }
}

std::optional<Side> parseSide(const std::string& text) {
  if (text.size() != 1) return std::nullopt;
  return sideFromLetter(text[0]);
}

std::optional<Vec3> parseRasMm(const std::string& text) {
  const std::optional<std::vector<double>> v = parseNumberList(text);
  if (!v || v->size() != 3) return std::nullopt;
  for (double c : *v)
    if (std::abs(c) > 1000) return std::nullopt;
  return Vec3{(*v)[0], (*v)[1], (*v)[2]};
}

// ---- Validators ----------------------------------------------------------------------------------

CLI::Validator sideValidator() {
  return CLI::Validator(
      [](std::string& text) {
        return parseSide(text) ? std::string() : "the side must be L or R (is '" + text + "')";
      },
      "");
}

CLI::Validator rasValidator() {
  return CLI::Validator(
      [](std::string& text) {
        return parseRasMm(text) ? std::string()
                                : "wants X,Y,Z in patient RAS mm, each within +-1000 (is '" + text + "')";
      },
      "");
}

std::optional<StatedGeometry> StatedGeometryOptions::stated() const {
  if (orientation.empty()) return std::nullopt;
  const std::vector<double> mm = parseNumberList(spacing).value();
  return StatedGeometry{orientation, {mm[0], mm[1], mm[2]}};
}

void addStatedGeometryOptions(CLI::App& cli, StatedGeometryOptions& options) {
  auto* orientation =
      cli.add_option(
             "--assume-orientation", options.orientation,
             "ONLY for an image whose file gives no geometry (see dbsplan info): where voxel axes i, j, k "
             "point, e.g. RAS; the plan records it and every output says so in red")
          ->type_name("CODE")
          ->check(CLI::Validator(
              [](std::string& text) {
                return statedGeometryProblem({text, {1, 1, 1}});
              },
              ""));
  auto* spacing =
      cli.add_option("--assume-spacing", options.spacing,
                     "with --assume-orientation: the voxel size along i, j, k in mm, e.g. 1,1,1.2")
          ->type_name("X,Y,Z")
          ->check(CLI::Validator(
              [](std::string& text) {
                const std::optional<std::vector<double>> v = parseNumberList(text);
                if (!v || v->size() != 3) return "wants X,Y,Z in mm (is '" + text + "')";
                return statedGeometryProblem({"RAS", {(*v)[0], (*v)[1], (*v)[2]}});
              },
              ""));
  orientation->needs(spacing);
  spacing->needs(orientation);
}

CLI::Validator numberBetween(double min, double max, const std::string& what) {
  return CLI::Validator(
      [min, max, what](std::string& text) {
        const std::optional<double> v = parseNumber(text);
        if (v && *v >= min && *v <= max) return std::string();
        std::ostringstream message;
        message << what << " must be a number between " << min << " and " << max << " (is '" << text << "')";
        return message.str();
      },
      "");
}

CLI::Validator numberValidator(const std::string& what) {
  return CLI::Validator(
      [what](std::string& text) {
        return parseNumber(text) ? std::string() : "wants " + what + ", got " + text;
      },
      "");
}

CLI::Validator wholeNumberTransform(const std::string& what) {
  return CLI::Validator(
      [what](std::string& text) {
        const std::optional<std::uint64_t> v = parseWholeNumber(text);
        if (!v) return "wants " + what + ", got " + text;
        text = std::to_string(*v);
        return std::string();
      },
      "");
}

Side sideOf(const std::string& text) {
  return parseSide(text).value();
}

Vec3 rasOf(const std::string& text) {
  return parseRasMm(text).value();
}

void addRegistrationOptions(CLI::App& cli, RegistrationParameters& r) {
  cli.add_option("--demons-sigma", r.demonsFieldSigmaMm, "field smoothing (elastic), mm at the finest level")
      ->capture_default_str()
      ->check(CLI::Range(0.25, 15.0))
      ->type_name("MM")
      ->group("Registration");
  cli.add_option("--demons-step", r.demonsMaximumStepVoxels, "largest update per iteration, voxels")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 5.0))
      ->type_name("VOXELS")
      ->group("Registration");
  cli.add_option("--demons-update-sigma", r.demonsUpdateSigmaMm,
                 "smoothing of each update (fluid), mm at the finest level (0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 30.0))
      ->type_name("MM")
      ->group("Registration");
  cli.add_option("--demons-contrast-sigma", r.demonsContrastSigmaMm,
                 "local contrast normalisation, mm (0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 50.0))
      ->type_name("MM")
      ->group("Registration");
  cli.add_option("--demons-contrast-weight", r.demonsContrastWeight,
                 "weight of the local contrast against the local-mean-normalised image")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("W")
      ->group("Registration");
  cli.add_option("--demons-bias-sigma", r.demonsBiasSigmaMm, "local-mean normalisation, mm (0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 50.0))
      ->type_name("MM")
      ->group("Registration");
  cli.add_option("--demons-spacing", r.demonsSpacingMm, "finest demons grid, mm")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 8.0))
      ->type_name("MM")
      ->group("Registration");
  cli.add_option("--demons-iterations", r.demonsIterations,
                 "iterations per level, coarse to fine (1-4 levels)")
      ->capture_default_str()
      ->delimiter(',')
      ->expected(1, 4)
      ->check(CLI::Range(0u, 1000u))
      ->type_name("N,...")
      ->group("Registration");
}

}  // namespace dbs::app
