// The bytes the pre-scan's walker reads: in memory (a mapped file), or a deflated dataset
// inflated on the fly. Both offer the same small interface (pos, bound, read, peek, skip,
// atEnd, problem/error), so the walker is one template. Not part of the C API.
#ifndef CDCMTK_DATASET_SCAN_SOURCES_H
#define CDCMTK_DATASET_SCAN_SOURCES_H

#include "cdcmtk.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>
#include <zlib.h>

namespace dk_scan {

/// Bytes in memory (a mapped file). Knows its end, so every length is checked up front.
class MemorySource {
public:
    MemorySource(const uint8_t *data, size_t size, size_t start) : data_(data), size_(size), pos_(start) {}
    uint64_t pos() const { return pos_; }
    uint64_t bound() const { return size_; }
    bool read(uint8_t *dst, size_t n) {
        if (!peek(dst, n)) return false;
        pos_ += n;
        return true;
    }
    bool peek(uint8_t *dst, size_t n) {
        if (n > size_ - pos_) return false;
        memcpy(dst, data_ + pos_, n);
        return true;
    }
    bool skip(uint64_t n) {
        if (n > size_ - pos_) return false;
        pos_ += n;
        return true;
    }
    bool atEnd() { return pos_ >= size_; }
    int problem = DK_SCAN_OK;
    std::string error;
    static constexpr const char *kPosition = "byte";

private:
    const uint8_t *data_;
    size_t size_, pos_;
};

/// A file read through an 8 KB window with pread: headers are read, values skipped by
/// moving the position, so a 512×512 image costs one or two reads, never the pixels.
class FileSource {
public:
    FileSource(int fd, uint64_t size, uint64_t start) : fd_(fd), size_(size), pos_(start) {}
    uint64_t pos() const { return pos_; }
    uint64_t bound() const { return size_; }
    bool read(uint8_t *dst, size_t n) {
        if (!peek(dst, n)) return false;
        pos_ += n;
        return true;
    }
    bool peek(uint8_t *dst, size_t n) {
        if (n > size_ - pos_) return false;
        if (pos_ < start_ || pos_ + n > start_ + length_) {
            if (!fill()) return false;
        }
        memcpy(dst, buf_ + (pos_ - start_), n);
        return true;
    }
    bool skip(uint64_t n) {
        if (n > size_ - pos_) return false;
        pos_ += n;
        return true;
    }
    bool atEnd() { return pos_ >= size_; }
    int problem = DK_SCAN_OK;
    std::string error;
    static constexpr const char *kPosition = "byte";

private:
    bool fill() {
        start_ = pos_;
        length_ = 0;
        size_t want = (size_t)std::min<uint64_t>(sizeof(buf_), size_ - pos_);
        while (length_ < want) {
            ssize_t r = ::pread(fd_, buf_ + length_, want - length_, (off_t)(start_ + length_));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                problem = DK_SCAN_TRUNCATED;
                error = r < 0 ? std::string("read error: ") + strerror(errno) : "file shrank while it was scanned";
                return false;
            }
            length_ += (size_t)r;
        }
        return true;
    }

    int fd_;
    uint64_t size_, pos_, start_ = 0;
    size_t length_ = 0;
    uint8_t buf_[8192];
};

/// A raw deflate stream (RFC 1951) inflated into a 64 KB window as the walker asks for
/// bytes; its end is known only when reached, so lengths are checked by reading up to them.
class InflateSource {
public:
    InflateSource(const uint8_t *data, size_t size, uint64_t cap) : cap_(cap) {
        memset(&z_, 0, sizeof(z_));
        if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) {
            problem = DK_SCAN_MALFORMED;
            error = "cannot start inflating the deflated dataset";
            return;
        }
        ready_ = true;
        z_.next_in = const_cast<Bytef *>(data);
        z_.avail_in = (uInt)size;  // callers check size < 4 GiB
    }
    ~InflateSource() {
        if (ready_) inflateEnd(&z_);
    }
    uint64_t pos() const { return pos_; }
    uint64_t bound() const { return UINT64_MAX; }
    bool read(uint8_t *dst, size_t n) {
        if (!peek(dst, n)) return false;
        consume(n);
        return true;
    }
    bool peek(uint8_t *dst, size_t n) {
        if (!ensure(n)) return false;
        memcpy(dst, buf_ + head_, n);
        return true;
    }
    bool skip(uint64_t n) {
        while (n > 0) {
            if (!ensure(1)) return false;
            size_t k = (size_t)std::min<uint64_t>(n, tail_ - head_);
            consume(k);
            n -= k;
        }
        return true;
    }
    bool atEnd() { return !ensure(1); }
    int problem = DK_SCAN_OK;
    std::string error;
    static constexpr const char *kPosition = "inflated byte";

private:
    void consume(size_t n) {
        head_ += n;
        pos_ += n;
    }
    /// At least `n` (≤ 16) bytes in the window, inflating more when needed.
    bool ensure(size_t n) {
        while (tail_ - head_ < n) {
            if (done_ || problem != DK_SCAN_OK || !ready_) return false;
            if (head_ > 0) {
                memmove(buf_, buf_ + head_, tail_ - head_);
                tail_ -= head_;
                head_ = 0;
            }
            z_.next_out = buf_ + tail_;
            z_.avail_out = (uInt)(sizeof(buf_) - tail_);
            int r = inflate(&z_, Z_NO_FLUSH);
            size_t got = sizeof(buf_) - tail_ - z_.avail_out;
            tail_ += got;
            produced_ += got;
            if (produced_ > cap_) {
                problem = DK_SCAN_INFLATED;
                error = "deflated dataset inflates beyond " + std::to_string(cap_) + " bytes";
                return false;
            }
            if (r == Z_STREAM_END) {
                done_ = true;
            } else if (r == Z_BUF_ERROR || (r == Z_OK && got == 0 && z_.avail_in == 0)) {
                problem = DK_SCAN_TRUNCATED;
                error = "deflated dataset ends before its final block";
                return false;
            } else if (r != Z_OK) {
                problem = DK_SCAN_MALFORMED;
                error = std::string("deflated dataset cannot be inflated: ") + (z_.msg ? z_.msg : "zlib error");
                return false;
            }
        }
        return true;
    }

    z_stream z_;
    bool ready_ = false, done_ = false;
    uint64_t cap_, produced_ = 0, pos_ = 0;
    size_t head_ = 0, tail_ = 0;
    uint8_t buf_[65536];
};

}  // namespace dk_scan

#endif
