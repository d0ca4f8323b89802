// The dbsplan command-line subcommands. Each returns the process exit code, prints results on
// stdout and one clear line per error on stderr. The GUI and the CLI call the same library code.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/Volume.h"
#include "dbs/planning/PlanDocument.h"

namespace dbs::app {

// Machine-readable description of a loaded volume (what `dbsplan info --json` prints). All world
// coordinates are RAS mm; ras_from_ijk maps a 0-based voxel index to RAS mm.
nlohmann::json volumeInfoJson(const Volume& volume);

// Progress of a long CLI step on stderr, "[ 42%] step", a line when the step changes or every 10 %.
ProgressCallback stderrProgress();

int runInfo(const std::vector<std::string>& args);
int runLocate(const std::vector<std::string>& args);
int runPlan(int argc, char** argv, const std::vector<std::string>& args);
int runPlanInfo(const std::vector<std::string>& args);
int runEdit(const std::vector<std::string>& args);
// One planned trajectory in words: target and entry (RAS, AC-PC, MNI), length, angles, margins.
void printTrajectorySummary(const PlannedTrajectory& trajectory, std::ostream& out);
int runSample(const std::vector<std::string>& args);
int runView(int argc, char** argv, const std::vector<std::string>& args);
void printUsage();

}  // namespace dbs::app
