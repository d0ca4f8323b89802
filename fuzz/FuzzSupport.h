// Shared by the libFuzzer targets: the header screens take a path (they are what `dbsplan` runs on
// a user's file, and they look at the file's size and its neighbours), so each input is written to
// a file of the format's extension in a private folder on tmpfs when there is one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace dbs::fuzz {

inline std::string writeInput(const std::uint8_t* data, std::size_t size, const std::string& fileName) {
  namespace fs = std::filesystem;
  static const fs::path folder = [] {
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    const fs::path f = base / ("dbs_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(f);
    return f;
  }();
  const fs::path path = folder / fileName;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

}  // namespace dbs::fuzz
