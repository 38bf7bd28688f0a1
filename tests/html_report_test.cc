// Tests of `bpstress report --html` (tool/report/html_report.h): the page of a real report has its
// charts, escapes hostile pool names, loads nothing, survives malformed reports; and, when Chromium
// is installed, a real browser renders it without console errors into a non-trivial screenshot.
#include "tool/report/html_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/run/dispatch.h"

namespace bp {
namespace {

using nlohmann::json;

constexpr const char kHostile[] = "<script>alert(1)</script>";

// A report of real runs of `pools`, 2 threads x 2000 ops each.
json RealReport(const std::vector<std::string>& pools) {
  Report report;
  report.options.threads = 2;
  report.options.ops_per_thread = 2000;
  report.notes.push_back("note with <b>markup</b> & \"quotes\"");
  const Distribution dist = std::get<Distribution>(Distribution::Parse("random65k"));
  for (const std::string& name : pools) {
    std::string error;
    const auto spec = ParsePoolSpec(name, &error);
    EXPECT_TRUE(spec) << error;
    if (!spec) return {};
    report.pools.push_back(RunSpec(*spec, dist, report.options));
  }
  json j;
  std::string error;
  EXPECT_TRUE(ParseReport(RenderReport(report), &j, &error)) << error;
  return j;
}

// Two real pools, the second renamed to a script tag.
const json& Hostile() {
  static const json report = [] {
    json r = RealReport({"sized", "fixed"});
    r["pools"][1]["pool"] = kHostile;
    return r;
  }();
  return report;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(HtmlReportTest, HasOneChartPerSectionAndPool) {
  const std::string html = RenderHtmlReport(Hostile(), "r.json");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Throughput, latency, retained bytes, and one capacity chart per pool.
  EXPECT_EQ(Count(html, "<svg"), 3u + 2u);
  EXPECT_EQ(Count(html, "</svg>"), 3u + 2u);
  for (const char* id : {"throughput", "latency", "capacity", "retained", "detectors", "config"}) {
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  // The sized pool hands out many capacity classes, the fixed pool exactly one.
  EXPECT_NE(html.find("sized — 11 capacity classes"), std::string::npos);
  EXPECT_NE(html.find(" — 1 capacity classes"), std::string::npos);
}

TEST(HtmlReportTest, EscapesEveryReportString) {
  const std::string html = RenderHtmlReport(Hostile(), "<r>.json");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_GE(Count(html, "&lt;script&gt;alert(1)&lt;/script&gt;"), 3u);
  EXPECT_EQ(html.find("<b>markup"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;"), std::string::npos);
  EXPECT_NE(html.find("&lt;r&gt;.json"), std::string::npos);
  EXPECT_EQ(HtmlEscape("a\"b'c<d>e&f\x01g\th"), "a&quot;b&#39;c&lt;d&gt;e&amp;f\xEF\xBF\xBDg\th");
}

TEST(HtmlReportTest, LoadsNothingFromOutside) {
  const std::string html = RenderHtmlReport(Hostile(), "r.json");
  for (const char* part : {"http:", "https:", "src=", "href=", "url(", "@import", "<link"}) {
    EXPECT_EQ(html.find(part), std::string::npos) << part;
  }
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(HtmlReportTest, MalformedFieldsRenderAsDashes) {
  json report = {{"schema", kReportSchema},
                 {"verdict", 7},
                 {"config", {{"seed", "x"}, {"deep", {{"a", {1, 2}}}}}},
                 {"pools",
                  {{{"pool", 5}, {"latency_ns", "none"}, {"ops_per_s", -1e300}},
                   7,
                   {{"pool", "odd"},
                    {"peak_rss_bytes", 1e300},
                    {"capacity_histogram", {1, {{"capacity_le", -1}, {"count", "x"}}}}}}}};
  const std::string html = RenderHtmlReport(report, "odd.json");
  EXPECT_EQ(Count(html, "<svg"), 3u + 2u);
  EXPECT_NE(html.find("<td>-</td>"), std::string::npos);
  EXPECT_NE(html.find("{&quot;a&quot;:[1,2]}"), std::string::npos);
  // No pools at all: the three summary charts, empty, and no capacity chart.
  EXPECT_EQ(Count(RenderHtmlReport(json(), ""), "<svg"), 3u);
}

// Runs headless Chromium on `args` (network and first-run machinery off) within 60 seconds.
testing::ProcessResult Chromium(const std::string& profile, std::vector<std::string> args) {
  std::vector<std::string> all = {"60",
                                  "/usr/bin/chromium",
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--enable-logging=stderr",
                                  "--v=0",
                                  "--user-data-dir=" + profile};
  all.insert(all.end(), args.begin(), args.end());
  return testing::Run("/usr/bin/timeout", all);
}

TEST(HtmlReportBrowserTest, ChromiumRendersChartsWithoutErrors) {
  if (access("/usr/bin/chromium", X_OK) != 0) {
    GTEST_SKIP() << "/usr/bin/chromium is not installed (apt-get install chromium)";
  }
  char dir_template[] = "/tmp/bpstress-html-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string page = dir + "/report.html", shot = dir + "/report.png";
  std::string error;
  ASSERT_TRUE(WriteFileAtomic(page, RenderHtmlReport(Hostile(), "r.json"), &error)) << error;

  const testing::ProcessResult dom = Chromium(dir + "/profile", {"--dump-dom", "file://" + page});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(Count(dom.out, "<svg"), 5u) << dom.out.substr(0, 2000);
  EXPECT_GE(Count(dom.out, "<rect"), 10u);
  EXPECT_EQ(dom.out.find("<script"), std::string::npos);
  EXPECT_NE(dom.out.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  for (const char* bad : {"Uncaught", "ERROR:CONSOLE", "Refused to", "Content Security Policy"}) {
    EXPECT_EQ(dom.err.find(bad), std::string::npos) << bad << " in:\n" << dom.err;
  }

  const testing::ProcessResult png = Chromium(
      dir + "/profile", {"--window-size=1200,2000", "--screenshot=" + shot, "file://" + page});
  ASSERT_EQ(png.exit_code, 0) << png.err;
  const std::string image = testing::ReadFile(shot);
  ASSERT_GT(image.size(), 24u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
  // Width and height from the IHDR chunk (big-endian at bytes 16 and 20).
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(image[at + i]);
    return v;
  };
  EXPECT_EQ(be32(16), 1200u);
  EXPECT_EQ(be32(20), 2000u);
  // A blank page compresses to a few KiB; charts and tables take far more.
  EXPECT_GT(image.size(), 30000u);
  const std::string cleanup = "rm -rf '" + dir + "'";
  EXPECT_EQ(std::system(cleanup.c_str()), 0);
}

TEST(HtmlReportCliTest, WritesThePage) {
  const testing::ProcessResult help = testing::Run(BPSTRESS_EXE, {"report", "--help"});
  if (help.exit_code != 0 || help.out.find("--html") == std::string::npos) {
    GTEST_SKIP() << "bpstress has no report subcommand yet";
  }
  const std::string in = testing::TempPath("in.json"), out = testing::TempPath("out.html");
  std::string error;
  ASSERT_TRUE(WriteFileAtomic(in, Hostile().dump(), &error)) << error;
  testing::ProcessResult r = testing::Run(BPSTRESS_EXE, {"report", in, "--html", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Count(testing::ReadFile(out), "<svg"), 5u);
  r = testing::Run(BPSTRESS_EXE, {"report", in});
  EXPECT_EQ(r.exit_code, 2) << "--html is required";
  r = testing::Run(BPSTRESS_EXE, {"report", "/nonexistent.json", "--html", out});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  r = testing::Run(BPSTRESS_EXE, {"report", in, "--html", "/nonexistent/dir/out.html"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  std::remove(in.c_str());
  std::remove(out.c_str());
}

}  // namespace
}  // namespace bp
