#include "dbs/planning/ElectrodeCatalogue.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "dbs/planning/DataPaths.h"

namespace dbs {
namespace {

using nlohmann::json;

const json& field(const json& object, const std::string& name, const std::string& where) {
  if (!object.is_object() || !object.contains(name))
    throw std::runtime_error("electrode catalogue: " + where + " has no field \"" + name + "\"");
  return object.at(name);
}

double positiveNumber(const json& object, const std::string& name, const std::string& where, bool allowZero) {
  const json& v = field(object, name, where);
  if (!v.is_number())
    throw std::runtime_error("electrode catalogue: " + where + "." + name + " is not a number");
  const double x = v.get<double>();
  if (x < 0 || (!allowZero && x == 0))
    throw std::runtime_error("electrode catalogue: " + where + "." + name + " must be " +
                             (allowZero ? "non-negative" : "positive") + ", got " + std::to_string(x));
  return x;
}

}  // namespace

bool ElectrodeModel::directional() const {
  return std::any_of(contacts.begin(), contacts.end(), [](const auto& c) { return c.segment.has_value(); });
}

int ElectrodeModel::levels() const {
  int n = 0;
  for (const auto& c : contacts) n = std::max(n, c.level + 1);
  return n;
}

double ElectrodeModel::levelCentreMm(int level) const {
  for (const auto& c : contacts)
    if (c.level == level) return c.centreMm();
  throw std::out_of_range(id + " has no contact level " + std::to_string(level));
}

double ElectrodeModel::activeLengthMm() const {
  double end = 0;
  for (const auto& c : contacts) end = std::max(end, c.endMm);
  return end;
}

ElectrodeCatalogue ElectrodeCatalogue::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("electrode catalogue: cannot open " + path);
  json root;
  try {
    root = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error("electrode catalogue: " + path + " is not valid JSON: " + e.what());
  }
  if (field(root, "schema", "the file") != "dbsplan.electrodes/1")
    throw std::runtime_error("electrode catalogue: unsupported schema in " + path);
  ElectrodeCatalogue catalogue;
  for (const json& e : field(root, "electrodes", "the file")) {
    ElectrodeModel m;
    m.id = field(e, "id", "an electrode").get<std::string>();
    const std::string where = "electrode " + m.id;
    m.manufacturer = field(e, "manufacturer", where).get<std::string>();
    m.model = field(e, "model", where).get<std::string>();
    m.name = field(e, "name", where).get<std::string>();
    m.diameterMm = positiveNumber(e, "diameter_mm", where, false);
    m.tipLengthMm = positiveNumber(e, "tip_length_mm", where, true);
    m.tipIsContact = field(e, "tip_is_contact", where).get<bool>();
    for (const json& c : field(e, "contacts", where)) {
      ElectrodeContact contact;
      contact.label = field(c, "label", where + " contact").get<std::string>();
      const std::string cw = where + " contact " + contact.label;
      contact.level = field(c, "level", cw).get<int>();
      contact.startMm = positiveNumber(c, "start_mm", cw, true);
      contact.endMm = positiveNumber(c, "end_mm", cw, false);
      if (contact.endMm <= contact.startMm)
        throw std::runtime_error("electrode catalogue: " + cw + " ends before it starts");
      const json& s = field(c, "segment", cw);
      if (!s.is_null())
        contact.segment = ElectrodeSegment{field(s, "centre_deg", cw).get<double>(),
                                           positiveNumber(s, "arc_deg", cw, false)};
      m.contacts.push_back(contact);
    }
    if (m.contacts.empty()) throw std::runtime_error("electrode catalogue: " + where + " has no contacts");
    for (const json& s : field(e, "sources", where))
      m.sources.push_back({s.value("what", ""), s.value("citation", ""), s.value("url", "")});
    if (m.sources.empty()) throw std::runtime_error("electrode catalogue: " + where + " names no source");
    catalogue.models_.push_back(std::move(m));
  }
  return catalogue;
}

const ElectrodeCatalogue& ElectrodeCatalogue::standard() {
  static const ElectrodeCatalogue catalogue = load(sourceDataPath("electrodes/electrodes.json"));
  return catalogue;
}

const ElectrodeModel& ElectrodeCatalogue::find(const std::string& id) const {
  for (const auto& m : models_)
    if (m.id == id) return m;
  std::string known;
  for (const auto& m : models_) known += (known.empty() ? "" : ", ") + m.id;
  throw std::out_of_range("unknown electrode '" + id + "' (known: " + known + ")");
}

}  // namespace dbs
