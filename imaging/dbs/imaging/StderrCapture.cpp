#include "dbs/imaging/StderrCapture.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>

#include <unistd.h>

namespace dbs {
namespace {

std::mutex& captureLock() {
  static std::mutex lock;
  return lock;
}

}  // namespace

StderrCapture::StderrCapture() {
  captureLock().lock();
  locked_ = true;
  std::cerr.flush();
  std::fflush(stderr);
  char name[] = "/tmp/dbsplan-stderr-XXXXXX";
  captureFd_ = ::mkstemp(name);
  if (captureFd_ < 0) return;  // nothing captured: the library's lines reach the terminal as before
  ::unlink(name);
  savedStderr_ = ::dup(2);
  if (savedStderr_ < 0 || ::dup2(captureFd_, 2) < 0) {
    if (savedStderr_ >= 0) ::close(savedStderr_);
    savedStderr_ = -1;
  }
}

StderrCapture::~StderrCapture() {
  release();
}

std::string StderrCapture::release() {
  std::string captured;
  if (savedStderr_ >= 0) {
    std::cerr.flush();
    std::fflush(stderr);
    ::dup2(savedStderr_, 2);
    ::close(savedStderr_);
    savedStderr_ = -1;
    if (::lseek(captureFd_, 0, SEEK_SET) == 0) {
      char buffer[4096];
      ssize_t n = 0;
      // Bounded: a library that prints megabytes is summarised by its first 64 KB.
      while (captured.size() < (64u << 10) && (n = ::read(captureFd_, buffer, sizeof buffer)) > 0)
        captured.append(buffer, static_cast<std::size_t>(n));
    }
  }
  if (captureFd_ >= 0) {
    ::close(captureFd_);
    captureFd_ = -1;
  }
  if (locked_) {
    locked_ = false;
    captureLock().unlock();
  }
  while (!captured.empty() && (captured.back() == '\n' || captured.back() == '\r')) captured.pop_back();
  return captured;
}

std::string whyWriteFailed(const std::string& folder, int errnoValue) {
  std::error_code ec;
  const auto space = std::filesystem::space(folder.empty() ? "." : folder, ec);
  if (errnoValue == ENOSPC || errnoValue == EDQUOT || (!ec && space.available < (64u << 10)))
    return "the disk is full";
  if (errnoValue != 0) return std::strerror(errnoValue);
  return "the write did not complete (is the disk full?)";
}

}  // namespace dbs
