#pragma once
// Whether a JPEG bitstream decodes without libjpeg reporting damage (engine-internal).
// OpenCV's decoder prints libjpeg's "Corrupt JPEG data" warnings to stderr and returns the
// image anyway, padded or smeared; for prediction that is an error (issue 14.4).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dermreader::engine::detail {

// Decodes `size` bytes at 1/8 scale (the entropy-coded data is read in full, which is where
// damage shows) and returns libjpeg's first error or warning, or nothing when it is clean.
std::optional<std::string> jpegDamage(const std::uint8_t* data, std::size_t size);

}  // namespace dermreader::engine::detail
