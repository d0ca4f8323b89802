// ElectrodeCatalogue: DBS lead models with their real contact geometry, read from the one data file
// data/electrodes/electrodes.json (every number there names its public source). Planning and
// rendering read lead geometry only through this class.
//
// Coordinate systems used: lead axis mm, measured from the distal end of the lead (0) towards the
// proximal end; segment angles in degrees about the lead axis, 0 = the orientation marker,
// counter-clockwise seen from the proximal end (see the file's "conventions").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dbs {

struct ElectrodeSegment {
  double centreDeg = 0;  // angular centre of a directional segment
  double arcDeg = 0;     // angular extent
};

struct ElectrodeContact {
  std::string label;                        // as the manufacturer numbers it ("0", "2A", "5")
  int level = 0;                            // 0 = most distal level
  double startMm = 0, endMm = 0;            // along the axis from the distal end
  std::optional<ElectrodeSegment> segment;  // empty for ring (and tip) contacts
  double centreMm() const { return 0.5 * (startMm + endMm); }
};

struct ElectrodeSource {
  std::string what, citation, url;
};

struct ElectrodeModel {
  std::string id, manufacturer, model, name;
  double diameterMm = 0;
  double tipLengthMm = 0;  // distal end to the distal edge of the first contact
  bool tipIsContact = false;
  std::vector<ElectrodeContact> contacts;  // distal to proximal
  std::vector<ElectrodeSource> sources;
  bool directional() const;
  int levels() const;
  // Centre of a level along the axis (mm from the distal end).
  double levelCentreMm(int level) const;
  // Length from the distal end to the proximal edge of the last contact.
  double activeLengthMm() const;
};

class ElectrodeCatalogue {
 public:
  // Reads and validates the catalogue; throws std::runtime_error naming the field and the problem.
  static ElectrodeCatalogue load(const std::string& path);
  // The catalogue shipped in data/electrodes (path compiled in; DBSPLAN_DATA_DIR overrides the folder).
  static const ElectrodeCatalogue& standard();

  const std::vector<ElectrodeModel>& models() const { return models_; }
  // Throws std::out_of_range listing the known ids when `id` is unknown.
  const ElectrodeModel& find(const std::string& id) const;

 private:
  std::vector<ElectrodeModel> models_;
};

}  // namespace dbs
