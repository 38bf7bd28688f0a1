#include "tool/process/wire_codec.h"

#include <cstring>
#include <type_traits>
#include <vector>

namespace bp {
namespace internal {
namespace {

// Records are sent as their bytes; this holds for ThreadResult as long as it stays an aggregate
// of plain counters, a Histogram and Violations. A member that owns memory (a std::string, a
// vector) breaks it, and then this assert says so instead of the child sending pointers.
static_assert(std::is_trivially_copyable_v<ThreadResult>,
              "ThreadResult is sent as bytes between processes: keep it trivially copyable");
static_assert(std::is_trivially_copyable_v<PoolStats>);

constexpr char kMagic[8] = {'B', 'P', 'R', 'U', 'N', '\x03', '\0', '\0'};
constexpr char kTrailer[8] = {'B', 'P', 'E', 'N', 'D', '\0', '\0', '\0'};

// FNV-1a: catches a truncated or interleaved stream, which is all a pipe between two processes
// of one program can do wrong.
uint64_t Checksum(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// A PoolRun field on the wire: strings and vectors as a count and their elements, everything else
// (trivially copyable, asserted) as its bytes.
class Writer {
 public:
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  template <class T>
  void Pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Raw(&v, sizeof v);
  }
  void Put(const std::string& s) {
    Pod(uint64_t{s.size()});
    Raw(s.data(), s.size());
  }
  template <class T>
  void Put(const std::vector<T>& v) {
    Pod(uint64_t{v.size()});
    for (const T& e : v) Put(e);
  }
  void Put(const LeakSite& s) {
    Put(s.where);
    Pod(s.bytes);
    Pod(s.blocks);
  }
  template <class T>
  void Put(const T& v) {
    Pod(v);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Raw(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  template <class T>
  bool Pod(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Raw(v, sizeof *v);
  }
  bool Get(std::string* s) {
    uint64_t n = 0;
    if (!Pod(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // A count is checked against the bytes left (each element takes at least 8 bytes, or its size)
  // before anything is allocated for it.
  template <class T>
  bool Get(std::vector<T>* v) {
    constexpr size_t kMinBytes = std::is_trivially_copyable_v<T> ? sizeof(T) : sizeof(uint64_t);
    uint64_t n = 0;
    if (!Pod(&n) || n > in_.size() / kMinBytes) return false;
    v->resize(n);
    for (T& e : *v) {
      if (!Get(&e)) return false;
    }
    return true;
  }
  bool Get(LeakSite* s) { return Get(&s->where) && Pod(&s->bytes) && Pod(&s->blocks); }
  template <class T>
  bool Get(T* v) {
    return Pod(v);
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

// The fields in PoolRun::Fields order, framed by kMagic, the ThreadResult record size, a checksum
// and kTrailer.
std::string EncodePoolRun(const PoolRun& run) {
  Writer w;
  w.Raw(kMagic, sizeof kMagic);
  w.Pod(uint64_t{sizeof(ThreadResult)});
  PoolRun::Fields([&](const char*, auto member, auto) { w.Put(run.*member); });
  w.Pod(Checksum(w.out()));
  w.Raw(kTrailer, sizeof kTrailer);
  return std::move(w.out());
}

bool DecodePoolRun(std::string_view bytes, PoolRun* out) {
  constexpr size_t kFrame = sizeof kMagic + sizeof(uint64_t) + sizeof kTrailer;
  if (bytes.size() < kFrame || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0 ||
      std::memcmp(bytes.data() + bytes.size() - sizeof kTrailer, kTrailer, sizeof kTrailer) != 0) {
    return false;
  }
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof kTrailer - sizeof(uint64_t));
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + body.size(), sizeof sum);
  if (sum != Checksum(body)) return false;

  Reader r(body.substr(sizeof kMagic));
  PoolRun run;
  uint64_t record_size = 0;
  if (!r.Pod(&record_size) || record_size != sizeof(ThreadResult)) return false;
  bool ok = true;
  PoolRun::Fields([&](const char*, auto member, auto) { ok = ok && r.Get(&(run.*member)); });
  if (!ok || r.left() != 0) return false;
  *out = std::move(run);
  return true;
}

// The fixed-size fields of a LiveSample, in wire order, for the encoder and the decoder alike: f
// is called on each in turn until it returns false. The examples follow them, counted. The
// readings a sample carries for the timeline (rss_bytes, retained_bytes, outstanding) stay in the
// child, which writes the timeline itself (PoolRun::timeline).
template <class Sample, class F>
bool SampleFields(Sample& s, F&& f) {
  return f(s.phase) && f(s.t) && f(s.exact) && f(s.ops) && f(s.gets) && f(s.puts) && f(s.refused) &&
         f(s.handoffs) && f(s.double_puts) && f(s.stats_known) && f(s.stats) && f(s.violations);
}

std::string EncodeSample(const LiveSample& s) {
  Writer w;
  SampleFields(s, [&](const auto& v) {
    w.Pod(v);
    return true;
  });
  w.Pod(uint64_t{s.new_examples.size()});
  for (const ViolationExample& e : s.new_examples) w.Pod(e);
  return std::move(w.out());
}

bool DecodeSample(std::string_view bytes, LiveSample* out) {
  Reader r(bytes);
  LiveSample s;
  uint64_t n = 0;
  if (!SampleFields(s, [&](auto& v) { return r.Pod(&v); }) || !r.Pod(&n) ||
      n != r.left() / sizeof(ViolationExample) || r.left() % sizeof(ViolationExample) != 0 ||
      static_cast<uint8_t>(s.phase) > static_cast<uint8_t>(Phase::kDone)) {
    return false;
  }
  s.new_examples.resize(n);
  for (ViolationExample& e : s.new_examples) {
    if (!r.Pod(&e) || static_cast<size_t>(e.kind) >= kViolationKinds) return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace internal

}  // namespace bp
