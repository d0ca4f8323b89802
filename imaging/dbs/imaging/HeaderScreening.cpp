#include "dbs/imaging/HeaderScreening.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "dbs/imaging/ImagingError.h"

namespace dbs {
namespace {

namespace fs = std::filesystem;

// Headers are small; a "header" longer than this is not one (and is not read whole into memory).
constexpr std::size_t kMaxHeaderBytes = 1 << 20;

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Printable text for a message: at most 40 characters, control bytes as '?'.
std::string shown(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 40)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return s.size() > 40 ? out + "..." : out;
}

std::uintmax_t fileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Product of whitespace-separated positive integers ("181 217 181"), or 0 when malformed or absurd.
std::uintmax_t voxelCount(const std::string& text, int* dimensions) {
  std::istringstream in(text);
  std::uintmax_t product = 1;
  int n = 0;
  for (std::string item; in >> item; ++n) {
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 9)
      return 0;
    const std::uintmax_t v = std::stoull(item);
    if (v == 0) return 0;
    product *= v;
    if (product > (std::uintmax_t{1} << 40)) return 0;
  }
  if (dimensions) *dimensions = n;
  return n == 0 ? 0 : product;
}

std::string dataFilePath(const std::string& headerPath, const std::string& named) {
  const fs::path p(named);
  return p.is_absolute() ? named : (fs::path(headerPath).parent_path() / p).string();
}

int metaElementSize(const std::string& type) {
  static const std::map<std::string, int> sizes = {
      {"MET_UCHAR", 1},      {"MET_CHAR", 1},      {"MET_USHORT", 2}, {"MET_SHORT", 2},
      {"MET_UINT", 4},       {"MET_INT", 4},       {"MET_ULONG", 8},  {"MET_LONG", 8},
      {"MET_ULONG_LONG", 8}, {"MET_LONG_LONG", 8}, {"MET_FLOAT", 4},  {"MET_DOUBLE", 8}};
  const auto it = sizes.find(type);
  return it == sizes.end() ? 0 : it->second;
}

int nrrdTypeSize(std::string type) {
  type = lower(type);
  static const std::map<std::string, int> sizes = {{"signed char", 1},
                                                   {"int8", 1},
                                                   {"int8_t", 1},
                                                   {"uchar", 1},
                                                   {"unsigned char", 1},
                                                   {"uint8", 1},
                                                   {"uint8_t", 1},
                                                   {"short", 2},
                                                   {"short int", 2},
                                                   {"signed short", 2},
                                                   {"signed short int", 2},
                                                   {"int16", 2},
                                                   {"int16_t", 2},
                                                   {"ushort", 2},
                                                   {"unsigned short", 2},
                                                   {"unsigned short int", 2},
                                                   {"uint16", 2},
                                                   {"uint16_t", 2},
                                                   {"int", 4},
                                                   {"signed int", 4},
                                                   {"int32", 4},
                                                   {"int32_t", 4},
                                                   {"uint", 4},
                                                   {"unsigned int", 4},
                                                   {"uint32", 4},
                                                   {"uint32_t", 4},
                                                   {"longlong", 8},
                                                   {"long long", 8},
                                                   {"long long int", 8},
                                                   {"signed long long", 8},
                                                   {"signed long long int", 8},
                                                   {"int64", 8},
                                                   {"int64_t", 8},
                                                   {"ulonglong", 8},
                                                   {"unsigned long long", 8},
                                                   {"unsigned long long int", 8},
                                                   {"uint64", 8},
                                                   {"uint64_t", 8},
                                                   {"float", 4},
                                                   {"double", 8}};
  const auto it = sizes.find(type);
  return it == sizes.end() ? 0 : it->second;
}

// What of the geometry a MetaImage header's keys do not give; MetaIO would assume an identity
// direction, a zero origin and 1 mm voxels in their place.
std::vector<std::string> metaImageGeometryNotInHeader(const std::map<std::string, std::string>& fields) {
  auto hasAny = [&](std::initializer_list<const char*> keys) {
    for (const char* key : keys)
      for (const auto& [k, value] : fields)
        if (lower(k) == lower(key) && !value.empty()) return true;
    return false;
  };
  std::vector<std::string> missing;
  if (!hasAny({"TransformMatrix", "Rotation", "Orientation"}))
    missing.push_back(
        "the MetaImage header has no TransformMatrix: the axes' directions are not in the file");
  if (!hasAny({"Offset", "Position", "Origin"}))
    missing.push_back("the MetaImage header has no Offset: the position is not in the file");
  if (!hasAny({"ElementSpacing", "ElementSize"}))
    missing.push_back("the MetaImage header has no ElementSpacing: the voxel size is not in the file");
  return missing;
}

// What of the geometry a NRRD header's fields (keys in lower case) do not give. Only a named
// anatomical space says where the patient's left is; "scanner-xyz" and "3D-right-handed" do not.
std::vector<std::string> nrrdGeometryNotInHeader(const std::map<std::string, std::string>& fields) {
  static const char* anatomical[] = {"ras",
                                     "las",
                                     "lps",
                                     "rast",
                                     "last",
                                     "lpst",
                                     "right-anterior-superior",
                                     "left-anterior-superior",
                                     "left-posterior-superior",
                                     "right-anterior-superior-time",
                                     "left-anterior-superior-time",
                                     "left-posterior-superior-time"};
  std::vector<std::string> missing;
  const auto space = fields.find("space");
  if (space == fields.end()) {
    missing.push_back(
        "the NRRD header has no 'space:' field: the axes' anatomical directions are not in the file");
  } else if (std::find(std::begin(anatomical), std::end(anatomical), lower(space->second)) ==
             std::end(anatomical)) {
    missing.push_back("the NRRD space '" + shown(space->second) +
                      "' is not an anatomical space: where the patient's left is is not in the file");
  }
  if (!fields.count("space directions"))
    missing.push_back(
        "the NRRD header has no 'space directions': voxel size and orientation are not in the file");
  if (!fields.count("space origin"))
    missing.push_back("the NRRD header has no 'space origin': the position is not in the file");
  return missing;
}

}  // namespace

void requireRegularFile(const std::string& path, const std::string& role) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw ImagingError(path + ": no such file (" + role + ")");
  if (!fs::is_regular_file(status))
    throw ImagingError(path + ": not a regular file (" + role +
                       "); a device, FIFO or socket cannot be read as image data");
}

std::vector<std::string> screenMetaImageHeader(const std::string& path) {
  requireRegularFile(path, "MetaImage header");
  std::ifstream in(path, std::ios::binary);
  std::map<std::string, std::string> fields;
  std::string line;
  std::size_t consumed = 0;
  bool sawDataFile = false;
  while (std::getline(in, line)) {
    consumed += line.size() + 1;
    if (consumed > kMaxHeaderBytes) throw ImagingError(path + ": the MetaImage header is longer than 1 MB");
    const std::string text = trimmed(line);
    if (text.empty()) continue;
    const auto equals = text.find('=');
    const std::string key = trimmed(text.substr(0, equals));
    if (key.size() > kMaxMetaImageKeyLength)
      throw ImagingError(path + ": a MetaImage header key of " + std::to_string(key.size()) +
                         " characters ('" + shown(key) + "'); keys are at most " +
                         std::to_string(kMaxMetaImageKeyLength));
    if (equals == std::string::npos)
      throw ImagingError(path + ": a MetaImage header line without '=': '" + shown(text) + "'");
    for (unsigned char c : key)
      if (!(std::isalnum(c) || c == '_'))
        throw ImagingError(path +
                           ": a MetaImage header key with a character that is not a letter, digit or '_' ('" +
                           shown(key) + "')");
    fields[key] = trimmed(text.substr(equals + 1));
    if (key == "ElementDataFile") {
      sawDataFile = true;
      break;  // the header ends here; binary data may follow
    }
  }
  if (!sawDataFile) throw ImagingError(path + ": the MetaImage header has no ElementDataFile");
  int dimensions = 0;
  const std::uintmax_t voxels = voxelCount(fields["DimSize"], &dimensions);
  if (voxels == 0)
    throw ImagingError(path + ": the MetaImage DimSize '" + shown(fields["DimSize"]) +
                       "' is not a list of positive sizes");
  const int elementSize = metaElementSize(fields["ElementType"]);
  if (elementSize == 0)
    throw ImagingError(path + ": unknown MetaImage ElementType '" + shown(fields["ElementType"]) + "'");
  const std::uintmax_t declaredChannels =
      fields.count("ElementNumberOfChannels") ? voxelCount(fields["ElementNumberOfChannels"], nullptr) : 0;
  const std::uintmax_t channels = declaredChannels > 0 ? declaredChannels : 1;
  const std::uintmax_t needed = voxels * static_cast<std::uintmax_t>(elementSize) * channels;
  const bool compressed = lower(fields["CompressedData"]) == "true";
  const std::string dataFile = fields["ElementDataFile"];
  std::uintmax_t available = 0;
  std::string dataName;
  if (dataFile == "LOCAL") {
    available = fileSize(path) > consumed ? fileSize(path) - consumed : 0;
    dataName = "the data after the header";
  } else if (dataFile.rfind("LIST", 0) == 0 || dataFile.find('%') != std::string::npos) {
    throw ImagingError(path + ": multi-file MetaImage data ('" + shown(dataFile) + "') is not supported");
  } else {
    const std::string data = dataFilePath(path, dataFile);
    requireRegularFile(data, "data file of " + fs::path(path).filename().string());
    available = fileSize(data);
    long headerSize = 0;
    if (fields.count("HeaderSize")) {
      try {
        headerSize = std::stol(fields["HeaderSize"]);
      } catch (const std::exception&) {
        throw ImagingError(path + ": the MetaImage HeaderSize '" + shown(fields["HeaderSize"]) +
                           "' is not a number");
      }
    }
    if (headerSize > 0) available = available > std::uintmax_t(headerSize) ? available - headerSize : 0;
    dataName = "its data file " + fs::path(data).filename().string();
  }
  if (compressed) {
    if (fields.count("CompressedDataSize")) {
      const std::uintmax_t claimed = voxelCount(fields["CompressedDataSize"], nullptr);
      if (claimed == 0 || claimed > available)
        throw ImagingError(path + ": CompressedDataSize " + shown(fields["CompressedDataSize"]) + " but " +
                           dataName + " has " + std::to_string(available) + " bytes: the data are truncated");
    }
  } else if (available < needed) {
    throw ImagingError(path + ": the header needs " + std::to_string(needed) + " bytes of voxel data but " +
                       dataName + " has " + std::to_string(available) + ": the data are truncated");
  }
  return metaImageGeometryNotInHeader(fields);
}

std::vector<std::string> screenNrrdHeader(const std::string& path) {
  requireRegularFile(path, "NRRD header");
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::size_t consumed = 0;
  if (!std::getline(in, line) || line.rfind("NRRD", 0) != 0)
    throw ImagingError(path + ": not a NRRD file (no 'NRRD000x' magic line)");
  consumed += line.size() + 1;
  std::map<std::string, std::string> fields;
  while (std::getline(in, line)) {
    consumed += line.size() + 1;
    if (consumed > kMaxHeaderBytes) throw ImagingError(path + ": the NRRD header is longer than 1 MB");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // the blank line ends the header
    if (line[0] == '#') continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = lower(trimmed(line.substr(0, colon)));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == '=') continue;  // key/value pairs ("key:=value")
    if (key == "datafile") key = "data file";
    fields[key] = trimmed(value);
  }
  const std::uintmax_t voxels = voxelCount(fields["sizes"], nullptr);
  const int typeSize = nrrdTypeSize(fields["type"]);
  const std::string encoding = lower(fields["encoding"]);
  std::uintmax_t available = 0;
  std::string dataName;
  if (fields.count("data file")) {
    const std::string named = fields["data file"];
    if (named.rfind("LIST", 0) == 0 || named.find('%') != std::string::npos ||
        named.find(' ') != std::string::npos)
      throw ImagingError(path + ": multi-file NRRD data ('" + shown(named) + "') is not supported");
    const std::string data = dataFilePath(path, named);
    requireRegularFile(data, "data file of " + fs::path(path).filename().string());
    available = fileSize(data);
    dataName = "its data file " + fs::path(data).filename().string();
  } else {
    available = fileSize(path) > consumed ? fileSize(path) - consumed : 0;
    dataName = "the data after the header";
  }
  if (fields.count("byte skip")) {
    long skip = 0;
    try {
      skip = std::stol(fields["byte skip"]);
    } catch (const std::exception&) {
      throw ImagingError(path + ": the NRRD byte skip '" + shown(fields["byte skip"]) + "' is not a number");
    }
    if (skip > 0) available = available > std::uintmax_t(skip) ? available - skip : 0;
  }
  // Only raw data have a length known in advance; ITK reports damaged gzip itself.
  if (encoding == "raw" && voxels > 0 && typeSize > 0 && available < voxels * typeSize)
    throw ImagingError(path + ": the header needs " + std::to_string(voxels * typeSize) +
                       " bytes of voxel data but " + dataName + " has " + std::to_string(available) +
                       ": the data are truncated");
  return nrrdGeometryNotInHeader(fields);
}

void screenDicomFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char preamble[132] = {};
  in.read(preamble, sizeof preamble);
  if (in.gcount() < 132 || std::string(preamble + 128, 4) != "DICM") return;  // not Part 10: GDCM decides
  const std::uintmax_t size = fileSize(path);
  std::uintmax_t offset = 132;
  auto fail = [&](const std::string& why) {
    throw ImagingError(path + ": a damaged DICOM file (" + why + " at byte " + std::to_string(offset) +
                       "); remove it from the folder");
  };
  static const char* longVrs[] = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ",
                                  "UT", "UN", "UC", "UR", "SV", "UV"};
  for (int element = 0;; ++element) {
    unsigned char head[8];
    in.read(reinterpret_cast<char*>(head), 8);
    if (in.gcount() < 8) {
      if (element == 0) fail("no file meta information");
      return;  // a file of meta information only: GDCM reports it
    }
    const unsigned group = head[0] | (head[1] << 8);
    if (group != 0x0002) {
      if (element == 0) fail("the file meta information group 0002 is missing");
      return;  // the data set begins; its encoding is the meta group's business
    }
    if (element > 200) fail("more than 200 file meta elements");
    const char vr[3] = {static_cast<char>(head[4]), static_cast<char>(head[5]), 0};
    if (!std::isupper(static_cast<unsigned char>(vr[0])) || !std::isupper(static_cast<unsigned char>(vr[1])))
      fail("a file meta element without a value representation");
    std::uintmax_t length = head[6] | (head[7] << 8);
    std::uintmax_t headerBytes = 8;
    if (std::find_if(std::begin(longVrs), std::end(longVrs),
                     [&](const char* v) { return std::string(v) == vr; }) != std::end(longVrs)) {
      unsigned char l[4];
      in.read(reinterpret_cast<char*>(l), 4);
      if (in.gcount() < 4) fail("a file meta element cut short");
      length = std::uintmax_t(l[0]) | (std::uintmax_t(l[1]) << 8) | (std::uintmax_t(l[2]) << 16) |
               (std::uintmax_t(l[3]) << 24);
      headerBytes = 12;
      if (length == 0xFFFFFFFFu) fail("a file meta element of undefined length");
    }
    if (offset + headerBytes + length > size) fail("a file meta element longer than the file");
    offset += headerBytes + length;
    in.seekg(static_cast<std::streamoff>(offset));
  }
}

void screenDicomFolder(const std::string& directory) {
  std::error_code ec;
  std::size_t files = 0;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (++files > 100000)
      throw ImagingError(directory + ": more than 100000 files: not one DICOM series folder");
    screenDicomFile(it->path().string());
  }
  if (ec) throw ImagingError(directory + ": cannot list the folder: " + ec.message());
}

}  // namespace dbs
