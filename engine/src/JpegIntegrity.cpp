#include "JpegIntegrity.h"

#include <csetjmp>
#include <cstdio>
#include <vector>

#include <jpeglib.h>

namespace dermreader::engine::detail {
namespace {

struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    std::string first;  // the first message libjpeg emitted (error or warning)
};

std::string messageOf(j_common_ptr info) {
    char text[JMSG_LENGTH_MAX];
    info->err->format_message(info, text);
    return text;
}

[[noreturn]] void onError(j_common_ptr info) {
    auto* manager = reinterpret_cast<ErrorManager*>(info->err);
    if (manager->first.empty())
        manager->first = messageOf(info);
    std::longjmp(manager->jump, 1);
}

void onMessage(j_common_ptr info, int level) {
    if (level >= 0)
        return;  // trace messages, not damage
    auto* manager = reinterpret_cast<ErrorManager*>(info->err);
    ++info->err->num_warnings;
    if (manager->first.empty())
        manager->first = messageOf(info);
}

}  // namespace

std::optional<std::string> jpegDamage(const std::uint8_t* data, std::size_t size) {
    jpeg_decompress_struct info{};
    ErrorManager errors{};
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = onError;
    errors.base.emit_message = onMessage;
    // Nothing with a destructor may live between setjmp and a longjmp back to it.
    std::vector<JSAMPLE>* row = new std::vector<JSAMPLE>();
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&info);
        delete row;
        return errors.first.empty() ? std::string("cannot be decoded") : errors.first;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
    jpeg_read_header(&info, TRUE);
    info.scale_num = 1;
    info.scale_denom = 8;
    info.dct_method = JDCT_IFAST;
    info.do_fancy_upsampling = FALSE;
    jpeg_start_decompress(&info);
    row->resize(static_cast<std::size_t>(info.output_width) * info.output_components);
    JSAMPROW rows[1] = {row->data()};
    while (info.output_scanline < info.output_height)
        jpeg_read_scanlines(&info, rows, 1);
    jpeg_finish_decompress(&info);
    const bool damaged = info.err->num_warnings > 0;
    jpeg_destroy_decompress(&info);
    delete row;
    if (damaged)
        return errors.first;
    return std::nullopt;
}

}  // namespace dermreader::engine::detail
