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
int runRiskMap(const std::vector<std::string>& args);
// Text from a file (a plan's notes and paths, an error naming a file) made safe for a terminal:
// control characters (C0, DEL and UTF-8-encoded C1) become \xNN, so escape sequences in an untrusted
// plan cannot rewrite what a user reads.
std::string terminalSafe(const std::string& text);

// One planned trajectory in words: target and entry (RAS, AC-PC, MNI), length, angles, margins.
void printTrajectorySummary(const PlannedTrajectory& trajectory, std::ostream& out);
int runSample(const std::vector<std::string>& args);
int runView(int argc, char** argv, const std::vector<std::string>& args);
void printUsage();

}  // namespace dbs::app
