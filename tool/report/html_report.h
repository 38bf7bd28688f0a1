// `bpstress report REPORT.json --html OUT.html`: a stress report as one self-contained HTML page.
//
// The page holds, for every pool: throughput (bar chart), latency percentiles p50..max (grouped
// bars, log scale), the distribution of handed-out capacities (one chart per pool: how many
// capacity classes a pool hands out and how often), retained bytes at the end and at peak,
// detector counts, and the run's configuration, host and build. Charts are inline SVG, style is
// inline CSS; there is no script and no external URL, and a Content-Security-Policy meta tag
// forbids loading anything, so the file renders the same offline, from CI artifacts or mail.
//
// Every string taken from the report (pool names, specs, notes, config values) is untrusted and
// HTML-escaped; control characters are replaced. Missing or mistyped fields render as "-".
//
// To look at a page the way the tests do (headless Chromium, no network), run as one line:
//   chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
//     --disable-background-networking --disable-component-update --disable-sync
//     --user-data-dir=$(mktemp -d) --window-size=1200,2000 --screenshot=report.png
//     file://$PWD/report.html
//
// Thread safety: a pure function of its arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bp {

// The page for `report` (a parsed report; fields are read defensively, nothing throws).
// `source` names the report file in the page's header.
std::string RenderHtmlReport(const nlohmann::json& report, std::string_view source);

// Text made safe as HTML element content and attribute values: & < > " ' escaped, control
// characters other than tab and newline replaced with U+FFFD.
std::string HtmlEscape(std::string_view text);

}  // namespace bp
