// What the dbsplan subcommands share: text made safe for a terminal, progress on stderr, the
// summaries several commands print (a volume, a trajectory, a plan), the one way a number, a triple
// or an "L|R X,Y,Z" argument is parsed, and the CLI11 validators built on those parsers. Every
// parser here is the only one of its format in app/cli.
//
// Coordinate systems used: every point printed or parsed here is patient RAS in mm.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dbs/imaging/ImageTrust.h"
#include "dbs/imaging/Registration.h"
#include "dbs/imaging/Volume.h"
#include "dbs/planning/PlanDocument.h"

namespace dbs::app {

// ---- Output --------------------------------------------------------------------------------------

// Text from a file (a plan's notes and paths, an error naming a file) made safe for a terminal:
// control characters (C0, DEL and UTF-8-encoded C1) become \xNN, so escape sequences in an untrusted
// plan cannot rewrite what a user reads.
std::string terminalSafe(const std::string& text);

// Progress of a long CLI step on stderr, "[ 42%] step", a line when the step changes or every 10 %.
ProgressCallback stderrProgress();
// Every progress report on stderr, "[ 42%] step" (for the short steps of sample preparation).
bool printProgress(double fraction, const std::string& step);

// `value` in fixed notation with `digits` decimals, and a point as "(x, y, z)" the same way.
std::string fixed(double value, int digits = 1);
std::string triple(Vec3 v, int digits = 1);

// Machine-readable description of a loaded volume (what `dbsplan info --json` prints). All world
// coordinates are RAS mm; ras_from_ijk maps a 0-based voxel index to RAS mm.
nlohmann::json volumeInfoJson(const Volume& volume);

// One planned trajectory in words: target and entry (RAS, AC-PC, MNI), length, angles, margins.
void printTrajectorySummary(const PlannedTrajectory& trajectory, std::ostream& out);
// A whole plan in words (what `plan` and `plan-info` print): provenance, image check, landmarks,
// targets, trajectories, alternatives, history and notes.
void printPlanSummary(const PlanDocument& plan, std::ostream& out);

// ---- Parsing: one parser per format; each returns nothing when the text is not of its format ----

// A finite number, the whole text (strtod: "1.5", "-2", "1e-3").
std::optional<double> parseNumber(const std::string& text);
// A whole number of decimal digits only ("0", "42"; no sign), within 64 bits.
std::optional<std::uint64_t> parseWholeNumber(const std::string& text);
// Numbers separated by commas, each a parseNumber ("1,1,1.2"); an empty part is refused.
std::optional<std::vector<double>> parseNumberList(const std::string& text);
// A side: "L" or "R".
std::optional<Side> parseSide(const std::string& text);
// A point "X,Y,Z" in patient RAS mm, each coordinate within +-1000 mm.
std::optional<Vec3> parseRasMm(const std::string& text);

// ---- CLI11 validators on those parsers (the message names what was expected and what was given) --

// "L" or "R": "the side must be L or R (is 'X')".
CLI::Validator sideValidator();
// "X,Y,Z": "wants X,Y,Z in patient RAS mm, each within +-1000 (is '...')".
CLI::Validator rasValidator();
// A number between min and max: "<what> must be a number between <min> and <max> (is '...')".
CLI::Validator numberBetween(double min, double max, const std::string& what);
// A finite number: "wants <what>, got ...". CLI11 converts the checked text to the option's type.
CLI::Validator numberValidator(const std::string& what);
// A whole number (parseWholeNumber), rewritten without leading zeros so that CLI11's conversion
// (which reads "010" as octal) sees the decimal value: "wants <what>, got ...".
CLI::Validator wholeNumberTransform(const std::string& what);

// --assume-orientation CODE and --assume-spacing X,Y,Z (mm), each needing the other: the geometry
// a user states for an image whose file lacks it (dbs/imaging/ImageTrust.h). Validated on parsing.
struct StatedGeometryOptions {
  std::string orientation, spacing;
  std::optional<StatedGeometry> stated() const;  // nothing when neither was given
};
void addStatedGeometryOptions(CLI::App& cli, StatedGeometryOptions& options);
// The registration's options (group "Registration"), shared by locate and plan: the demons grid,
// iterations, smoothing, step and local-mean normalisation, each bounded.
void addRegistrationOptions(CLI::App& cli, RegistrationParameters& parameters);

// The value of an option declared with sideValidator / rasValidator (already validated).
Side sideOf(const std::string& text);
Vec3 rasOf(const std::string& text);

}  // namespace dbs::app
