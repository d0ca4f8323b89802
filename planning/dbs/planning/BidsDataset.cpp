#include "dbs/planning/BidsDataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/Labels.h"
#include "dbs/planning/PlanFile.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string withoutPrefix(const std::string& label, const std::string& prefix) {
  return label.rfind(prefix, 0) == 0 ? label.substr(prefix.size()) : label;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> sortedEntries(const fs::path& folder, const std::string& prefix, bool directories) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && (directories ? e.is_directory() : e.is_regular_file()))
      found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// "sub-01_ses-1": the entities that start every file name of the participant (and session).
std::string entityPrefix(const BidsT1w& t) {
  return "sub-" + t.participant + (t.session.empty() ? "" : "_ses-" + t.session);
}

// The T1w in `anat` for `t`: one without a contrast agent (ce-) first, then name order.
bool chooseT1w(const fs::path& anat, BidsT1w& t) {
  std::vector<fs::path> images;
  for (const fs::path& p : sortedEntries(anat, entityPrefix(t) + "_", false)) {
    const std::string name = p.filename().string();
    if (endsWith(name, "_T1w.nii.gz") || endsWith(name, "_T1w.nii")) images.push_back(p);
  }
  if (images.empty()) return false;
  std::stable_partition(images.begin(), images.end(), [](const fs::path& p) {
    return p.filename().string().find("_ce-") == std::string::npos;
  });
  t.path = images.front().string();
  if (images.size() > 1) {
    t.choice = "several T1w images: " + images.front().filename().string() +
               " (the first in name order without a contrast agent), not";
    for (std::size_t n = 1; n < images.size(); ++n) t.choice += " " + images[n].filename().string();
  }
  return true;
}

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

// A TSV cell: tabs and newlines would break the table.
std::string cell(std::string text) {
  for (char& c : text)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return text.empty() ? "n/a" : text;
}

}  // namespace

std::vector<BidsT1w> findBidsT1w(const std::string& bidsDir, const std::vector<std::string>& participants,
                                 const std::vector<std::string>& sessions) {
  const fs::path root(bidsDir);
  const fs::path description = root / "dataset_description.json";
  json d;
  try {
    std::ifstream in(description);
    if (!in) throw std::runtime_error("missing");
    d = json::parse(in);
  } catch (const std::exception&) {
    throw std::runtime_error(bidsDir +
                             ": not a BIDS dataset: no readable dataset_description.json (BIDS requires "
                             "one, with Name and BIDSVersion)");
  }
  if (!d.is_object() || !d.contains("Name") || !d.contains("BIDSVersion"))
    throw std::runtime_error(description.string() +
                             ": not a BIDS dataset description: Name and BIDSVersion are required");
  std::vector<fs::path> subjects = sortedEntries(root, "sub-", true);
  if (subjects.empty())
    throw std::runtime_error(bidsDir + ": a BIDS dataset without any sub-* participant folder");

  std::set<std::string> wanted, wantedSessions;
  for (const std::string& p : participants) wanted.insert(withoutPrefix(p, "sub-"));
  for (const std::string& s : sessions) wantedSessions.insert(withoutPrefix(s, "ses-"));
  std::set<std::string> seen, seenSessions;
  std::vector<BidsT1w> found;
  for (const fs::path& subject : subjects) {
    BidsT1w t;
    t.participant = withoutPrefix(subject.filename().string(), "sub-");
    if (!wanted.empty() && !wanted.count(t.participant)) continue;
    seen.insert(t.participant);
    const std::vector<fs::path> sessionFolders = sortedEntries(subject, "ses-", true);
    if (sessionFolders.empty()) {
      if (!chooseT1w(subject / "anat", t))
        throw std::runtime_error((subject / "anat").string() +
                                 ": no *_T1w.nii or *_T1w.nii.gz: participant " + t.participant +
                                 " has no T1w image");
      found.push_back(t);
      continue;
    }
    for (const fs::path& session : sessionFolders) {
      BidsT1w s = t;
      s.session = withoutPrefix(session.filename().string(), "ses-");
      if (!wantedSessions.empty() && !wantedSessions.count(s.session)) continue;
      seenSessions.insert(s.session);
      if (chooseT1w(session / "anat", s))
        found.push_back(s);  // a session without a T1w (e.g. only fMRI) is skipped
    }
  }
  for (const std::string& p : wanted)
    if (!seen.count(p)) throw std::runtime_error(bidsDir + ": no participant sub-" + p + " in the dataset");
  for (const std::string& s : wantedSessions)
    if (!seenSessions.count(s))
      throw std::runtime_error(bidsDir + ": no session ses-" + s + " in the chosen participants");
  if (found.empty())
    throw std::runtime_error(bidsDir + ": no T1w image in the chosen participants and sessions");
  return found;
}

std::string participantDerivativeFolder(const std::string& outputDir, const BidsT1w& t) {
  fs::path folder = fs::path(outputDir) / "dbsplan" / ("sub-" + t.participant);
  if (!t.session.empty()) folder /= "ses-" + t.session;
  return folder.string();
}

void writeDerivativeDescription(const std::string& bidsDir, const std::string& outputDir,
                                const std::string& programVersion) {
  const fs::path root = fs::path(outputDir) / "dbsplan";
  fs::create_directories(root);
  std::string sourceName = "raw";
  try {
    std::ifstream in(fs::path(bidsDir) / "dataset_description.json");
    sourceName = json::parse(in).value("Name", sourceName);
  } catch (const std::exception&) {
  }
  const json description = {
      {"Name", "dbsplan: DBS plans (GPi targets and trajectories) of " + sourceName},
      {"BIDSVersion", "1.8.0"},
      {"DatasetType", "derivative"},
      {"GeneratedBy",
       {{{"Name", "dbsplan"},
         {"Version", programVersion},
         {"Description",
          "GPi localisation by atlas registration and trajectory planning, one participant per job"}}}},
      {"SourceDatasets", {{{"URL", "file://" + fs::absolute(bidsDir).lexically_normal().string()}}}}};
  writeTextAtomically((root / "dataset_description.json").string(), description.dump(2) + "\n");
  writeTextAtomically((root / ".bidsignore").string(),
                      "*/plan/\n*/*/plan/\n*/dbsplan_status.json\n*/*/dbsplan_status.json\n");
}

void writeParticipantOutputs(const std::string& bidsDir, const std::string& outputDir, const BidsT1w& t) {
  const fs::path folder(participantDerivativeFolder(outputDir, t)), anat = folder / "anat";
  fs::create_directories(anat);
  const std::string stem = entityPrefix(t) + "_space-T1w_desc-dbsplan_dseg";
  copyFileAtomically((folder / "plan" / "labels.nii.gz").string(), (anat / (stem + ".nii.gz")).string());
  std::error_code ec;
  const std::string source = fs::relative(t.path, bidsDir, ec).generic_string();
  writeTextAtomically((anat / (stem + ".json")).string(),
                      json{{"Description",
                            "basal ganglia, ventricles and other labels located by dbsplan "
                            "(atlas registration refined with the T1w's intensities)"},
                           {"Sources", {"bids:raw:" + source}},
                           {"Type", "dseg"},
                           {"dbsplan_plan", "../plan/plan.json"}}
                              .dump(2) +
                          "\n");
  std::ostringstream table;  // BIDS's dseg look-up table: index and name of every label
  table << "index\tname\n";
  for (const LabelInfo& l : standardLabels()) table << l.value << "\t" << l.name << "\n";
  writeTextAtomically((anat / (entityPrefix(t) + "_desc-dbsplan_dseg.tsv")).string(), table.str());
  writeTextAtomically((folder / "dbsplan_status.json").string(),
                      json{{"participant_id", "sub-" + t.participant},
                           {"session_id", t.session.empty() ? json(nullptr) : json("ses-" + t.session)},
                           {"status", "planned"},
                           {"t1w", source},
                           {"t1w_choice", t.choice},
                           {"plan", "plan/plan.json"}}
                              .dump(2) +
                          "\n");
}

void writeParticipantFailure(const std::string& outputDir, const BidsT1w& t, const std::string& error) {
  const fs::path folder(participantDerivativeFolder(outputDir, t));
  fs::create_directories(folder);
  writeTextAtomically((folder / "dbsplan_status.json").string(),
                      json{{"participant_id", "sub-" + t.participant},
                           {"session_id", t.session.empty() ? json(nullptr) : json("ses-" + t.session)},
                           {"status", "failed"},
                           {"t1w", t.path},
                           {"error", error}}
                              .dump(2) +
                          "\n");
}

std::string writeGroupTable(const std::string& outputDir) {
  const fs::path root = fs::path(outputDir) / "dbsplan";
  std::vector<fs::path> statuses;
  for (const fs::path& subject : sortedEntries(root, "sub-", true)) {
    if (fs::is_regular_file(subject / "dbsplan_status.json"))
      statuses.push_back(subject / "dbsplan_status.json");
    for (const fs::path& session : sortedEntries(subject, "ses-", true))
      if (fs::is_regular_file(session / "dbsplan_status.json"))
        statuses.push_back(session / "dbsplan_status.json");
  }
  if (statuses.empty())
    throw std::runtime_error(root.string() + ": no participant results (run the participant level first)");
  std::ostringstream tsv;
  tsv << "participant_id\tsession_id\tstatus\tside\ttrajectory\ttarget_x_ras\ttarget_y_ras\ttarget_z_ras\t"
         "target_x_acpc\ttarget_y_acpc\ttarget_z_acpc\tentry_x_ras\tentry_y_ras\tentry_z_ras\t"
         "sagittal_angle_deg\tlateral_angle_deg\tlength_mm\tventricles_margin_mm\tsulci_margin_mm\t"
         "contacts_in_gpi\tcontacts\tverdict\n";
  for (const fs::path& statusPath : statuses) {
    json status;
    std::string participant = statusPath.parent_path().filename().string(), session = "n/a", state = "failed",
                error;
    try {
      std::ifstream in(statusPath);
      status = json::parse(in);
      participant = status.value("participant_id", participant);
      if (status.contains("session_id") && status["session_id"].is_string()) session = status["session_id"];
      state = status.value("status", state);
      error = status.value("error", std::string());
    } catch (const std::exception& e) {
      error = statusPath.string() + ": unreadable status: " + e.what();
    }
    const std::string rowStart = cell(participant) + "\t" + cell(session) + "\t";
    if (state != "planned") {
      tsv << rowStart << "failed";
      for (int n = 0; n < 18; ++n) tsv << "\tn/a";
      tsv << "\t" << cell(error.empty() ? "failed" : error) << "\n";
      continue;
    }
    PlanDocument plan;
    try {
      plan = readPlan((statusPath.parent_path() / "plan" / "plan.json").string());
    } catch (const std::exception& e) {
      tsv << rowStart << "failed";
      for (int n = 0; n < 18; ++n) tsv << "\tn/a";
      tsv << "\t" << cell(e.what()) << "\n";
      continue;
    }
    for (const PlannedTrajectory& p : plan.trajectories) {
      const Trajectory& t = p.trajectory;
      const TrajectoryMetrics& m = p.metrics;
      auto margin = [&](RiskKind kind) {
        const ClosestApproach& c = m.closest[static_cast<std::size_t>(kind)];
        return c.present ? fixed(c.distanceMm, 2) : std::string("n/a");
      };
      tsv << rowStart << "planned\t" << sideLetter(t.side) << "\t" << cell(t.id) << "\t"
          << fixed(t.targetRas.x, 2) << "\t" << fixed(t.targetRas.y, 2) << "\t" << fixed(t.targetRas.z, 2)
          << "\t" << fixed(m.targetAcpc.x, 2) << "\t" << fixed(m.targetAcpc.y, 2) << "\t"
          << fixed(m.targetAcpc.z, 2) << "\t" << fixed(t.entryRas.x, 2) << "\t" << fixed(t.entryRas.y, 2)
          << "\t" << fixed(t.entryRas.z, 2) << "\t" << fixed(m.sagittalAngleDeg, 1) << "\t"
          << fixed(m.lateralAngleDeg, 1) << "\t" << fixed(m.lengthMm, 1) << "\t"
          << margin(RiskKind::Ventricles) << "\t" << margin(RiskKind::Sulci) << "\t" << m.contactsInGpi
          << "\t" << m.contacts.size() << "\t" << cell(marginVerdict(m)) << "\n";
    }
  }
  const std::string path = (root / "group_trajectories.tsv").string();
  writeTextAtomically(path, tsv.str());
  return path;
}

}  // namespace dbs
