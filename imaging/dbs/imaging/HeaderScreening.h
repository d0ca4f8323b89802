// HeaderScreening: checks of MetaImage and NRRD headers, and of the files they name, made before ITK
// reads them. ITK's MetaIO reader copies header keys into fixed-size stack buffers (a key of 255+
// characters overflows one), reads a FIFO or a device named as a data file forever, and only warns
// when a raw data file is shorter than its header says (filling the rest with zeros). Each check
// throws ImagingError with one line naming the file and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dbs {

// Image and data files must be regular files: a FIFO, a device or a socket would block or stream
// without end. `role` names what the file is for ("image", "data file of x.mhd").
void requireRegularFile(const std::string& path, const std::string& role);

// The longest header key a MetaImage header may have (MetaIO's own keys are at most 25 characters).
constexpr std::size_t kMaxMetaImageKeyLength = 64;

// MetaImage (.mha/.mhd): keys are short text, the data file named is a regular file, and raw data
// are at least as long as DimSize x element size (compressed data: CompressedDataSize fits).
// Returns what of the geometry the header does not give (no TransformMatrix, Offset or
// ElementSpacing: MetaIO then assumes identity, zero and 1 mm), in words; empty when all is there.
std::vector<std::string> screenMetaImageHeader(const std::string& path);

// NRRD (.nrrd/.nhdr): the header is text, a detached data file is a regular file, and raw data are
// at least as long as sizes x type size (after any byte skip). Returns what of the geometry the
// header does not give (no anatomical `space`, no `space directions` or `space origin`), in words.
std::vector<std::string> screenNrrdHeader(const std::string& path);

// DICOM: a file with the "DICM" preamble must open with a well-formed File Meta Information group
// (0002,xxxx, explicit VR little endian, every length inside the file). Debian's GDCM asserts, and
// so aborts the whole process, on one that is not. Files without the preamble are left to GDCM,
// which refuses them with an exception. Every regular file of a folder is screened.
void screenDicomFile(const std::string& path);
void screenDicomFolder(const std::string& directory);

}  // namespace dbs
