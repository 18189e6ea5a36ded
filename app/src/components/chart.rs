//! Latency charts as inline SVG: RTT (min–max band and average line), jitter and loss, on one UTC
//! time axis with server-down gaps and device change markers. No chart library: the geometry is a
//! few pure functions (tested below) and the markup is plain Leptos, so device text stays text.

use chrono::{DateTime, TimeZone, Utc};
use leptos::prelude::*;

use crate::monitoring::model::{ChangeMarker, Gap, SeriesPoint};

/// ViewBox width; the SVG scales to the container's width, keeping its aspect ratio.
pub const WIDTH: f64 = 900.0;
const PAD_LEFT: f64 = 56.0;
const PAD_RIGHT: f64 = 14.0;
const PAD_TOP: f64 = 12.0;
const PAD_BOTTOM: f64 = 26.0;
/// Below this drag width (viewBox units) a click is a click, not a zoom.
const MIN_DRAG: f64 = 6.0;

/// Maps times and values to viewBox coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub from_ms: i64,
    pub to_ms: i64,
    pub height: f64,
    pub y_max: f64,
}

impl Frame {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, height: f64, y_max: f64) -> Self {
        let from_ms = from.timestamp_millis();
        // A zero-length range would divide by zero; one second is the narrowest we draw.
        let to_ms = to.timestamp_millis().max(from_ms + 1_000);
        Self { from_ms, to_ms, height, y_max: if y_max > 0.0 { y_max } else { 1.0 } }
    }

    pub const fn left() -> f64 {
        PAD_LEFT
    }

    pub const fn right() -> f64 {
        WIDTH - PAD_RIGHT
    }

    pub const fn top() -> f64 {
        PAD_TOP
    }

    pub fn bottom(&self) -> f64 {
        self.height - PAD_BOTTOM
    }

    #[allow(clippy::cast_precision_loss)]
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let f = (t.timestamp_millis() - self.from_ms) as f64 / (self.to_ms - self.from_ms) as f64;
        Self::left() + f.clamp(0.0, 1.0) * (Self::right() - Self::left())
    }

    pub fn y(&self, v: f64) -> f64 {
        let f = (v / self.y_max).clamp(0.0, 1.0);
        self.bottom() - f * (self.bottom() - Self::top())
    }

    /// The time under a viewBox x coordinate (clamped to the range).
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    pub fn time_at(&self, x: f64) -> DateTime<Utc> {
        let f = ((x - Self::left()) / (Self::right() - Self::left())).clamp(0.0, 1.0);
        let ms = self.from_ms + (f * (self.to_ms - self.from_ms) as f64).round() as i64;
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (an axis maximum that reads well).
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let exp = v.log10().floor();
    let base = 10f64.powf(exp);
    [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * base).find(|c| *c >= v * 0.999_999).unwrap_or(10.0 * base)
}

/// An axis label with just the decimals its step needs: a step of 0.025 ms shows 0.025, 0.05,
/// 0.075, not values rounded to two places that the ticks are not.
pub fn tick_label(v: f64, step: f64, unit: &str) -> String {
    let decimals = (0..=6).find(|d| {
        let scaled = step * 10f64.powi(*d);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
    });
    let d = usize::try_from(decimals.unwrap_or(6)).unwrap_or(6);
    if v == 0.0 {
        return format!("0 {unit}");
    }
    format!("{v:.d$} {unit}")
}

/// Four equal steps from 0 to `max`, both included.
pub fn y_ticks(max: f64) -> Vec<f64> {
    (0..=4).map(|i| max * f64::from(i) / 4.0).collect()
}

const STEPS_S: [i64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
];

/// Round UTC instants inside the range, about `target` of them, and the label format that fits the step.
pub fn time_ticks(from: DateTime<Utc>, to: DateTime<Utc>, target: i64) -> (Vec<DateTime<Utc>>, &'static str) {
    let span_s = ((to - from).num_seconds()).max(1);
    let step = STEPS_S.into_iter().find(|s| span_s / s <= target.max(1)).unwrap_or(604_800);
    let first = (from.timestamp() + step - 1).div_euclid(step) * step;
    let ticks = (0..)
        .map(|i| first + i * step)
        .take_while(|s| *s <= to.timestamp())
        .take(64)
        .filter_map(|s| Utc.timestamp_opt(s, 0).single())
        .collect();
    let format = if step < 60 {
        "%H:%M:%S"
    } else if span_s <= 86_400 {
        "%H:%M"
    } else {
        "%m-%d %H:%M"
    };
    (ticks, format)
}

/// Whether a gap lies between two instants (a line must not be drawn across it).
fn gap_between(gaps: &[Gap], a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    gaps.iter().any(|g| g.from < b && g.to > a)
}

/// Runs of consecutive points that have a value and no gap between them.
fn runs<T: Copy>(points: &[(DateTime<Utc>, Option<T>)], gaps: &[Gap]) -> Vec<Vec<(DateTime<Utc>, T)>> {
    let mut out: Vec<Vec<(DateTime<Utc>, T)>> = Vec::new();
    let mut current: Vec<(DateTime<Utc>, T)> = Vec::new();
    for (at, v) in points {
        match v {
            Some(v) => {
                if let Some((prev, _)) = current.last() {
                    if gap_between(gaps, *prev, *at) {
                        out.push(std::mem::take(&mut current));
                    }
                }
                current.push((*at, *v));
            }
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// An SVG path through the values; a lone point becomes a dot (a tiny segment with round caps).
pub fn line_path(frame: &Frame, points: &[(DateTime<Utc>, Option<f64>)], gaps: &[Gap]) -> String {
    let mut d = String::new();
    for run in runs(points, gaps) {
        for (i, (at, v)) in run.iter().enumerate() {
            let cmd = if i == 0 { 'M' } else { 'L' };
            d.push_str(&format!("{cmd}{:.1},{:.1} ", frame.x(*at), frame.y(*v)));
        }
        if run.len() == 1 {
            d.push_str("h0.1 ");
        }
    }
    d.trim_end().to_owned()
}

/// A point of the min–max band: its time and (min, max), if measured.
pub type BandPoint = (DateTime<Utc>, Option<(f64, f64)>);

/// Closed polygons between the lower and upper values (the min–max band).
pub fn band_path(frame: &Frame, points: &[BandPoint], gaps: &[Gap]) -> String {
    let mut d = String::new();
    for run in runs(points, gaps) {
        let upper = run.iter().map(|(at, (_, hi))| format!("{:.1},{:.1}", frame.x(*at), frame.y(*hi)));
        let lower = run.iter().rev().map(|(at, (lo, _))| format!("{:.1},{:.1}", frame.x(*at), frame.y(*lo)));
        let all: Vec<String> = upper.chain(lower).collect();
        if let Some((first, rest)) = all.split_first() {
            d.push_str(&format!("M{first} L{} Z ", rest.join(" L")));
        }
    }
    d.trim_end().to_owned()
}

fn fmt_value(v: f64, unit: &str) -> String {
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

/// A drag across a chart in progress: which chart, where it started and where the pointer is (viewBox x).
/// Owned by the page, so a refresh that re-renders the charts does not lose it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drag {
    pub kind: ChartKind,
    pub start: f64,
    pub end: f64,
}

/// Which figure a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Rtt,
    Jitter,
    Loss,
}

impl ChartKind {
    const fn height(self) -> f64 {
        match self {
            Self::Rtt => 230.0,
            Self::Jitter => 150.0,
            Self::Loss => 130.0,
        }
    }

    const fn title(self) -> &'static str {
        match self {
            Self::Rtt => "Round-trip time (ms): min–max band and average",
            Self::Jitter => "Jitter (ms)",
            Self::Loss => "Packet loss (%)",
        }
    }

    const fn id(self) -> &'static str {
        match self {
            Self::Rtt => "chart-rtt",
            Self::Jitter => "chart-jitter",
            Self::Loss => "chart-loss",
        }
    }

    const fn unit(self) -> &'static str {
        match self {
            Self::Loss => "%",
            _ => "ms",
        }
    }
}

/// The left edge and width of an element on the page, through its offset parents (the browser
/// build has no `DomRect`; the app's layout has no horizontally scrolled ancestors).
#[cfg(feature = "hydrate")]
fn page_box(el: &leptos::web_sys::HtmlElement) -> (f64, f64) {
    use leptos::wasm_bindgen::JsCast;
    let width = f64::from(el.offset_width());
    let mut left = 0.0;
    let mut node = Some(el.clone());
    while let Some(n) = node {
        left += f64::from(n.offset_left());
        node = n.offset_parent().and_then(|p| p.dyn_into::<leptos::web_sys::HtmlElement>().ok());
    }
    (left, width)
}

/// The viewBox x under the pointer, or `None` outside the browser.
fn pointer_x(ev: &leptos::ev::MouseEvent) -> Option<f64> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let el = ev.current_target()?.dyn_into::<leptos::web_sys::HtmlElement>().ok()?;
        let (left, width) = page_box(&el);
        if width <= 0.0 {
            return None;
        }
        Some((f64::from(ev.page_x()) - left) / width * WIDTH)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// One chart of one target. Dragging across it asks `on_zoom` for the dragged time range.
#[component]
pub fn Chart(
    kind: ChartKind,
    points: Vec<SeriesPoint>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    gaps: Vec<Gap>,
    changes: Vec<ChangeMarker>,
    /// A value drawn as a dashed line (the alert threshold), if any.
    threshold: Option<f64>,
    on_zoom: Callback<(DateTime<Utc>, DateTime<Utc>)>,
    drag: RwSignal<Option<Drag>>,
) -> impl IntoView {
    let height = kind.height();
    let data_max = points
        .iter()
        .filter_map(|p| match kind {
            ChartKind::Rtt => p.rtt_max_ms.or(p.rtt_avg_ms),
            ChartKind::Jitter => p.jitter_ms,
            ChartKind::Loss => Some(p.loss_pct),
        })
        .fold(0.0_f64, f64::max);
    // The threshold line joins the scale only when it is near the data: a 500 ms threshold must not
    // flatten a 0.05 ms loopback series onto the axis.
    let data_max = match threshold {
        Some(t) if t <= data_max * 1.5 => data_max.max(t),
        _ => data_max,
    };
    let y_max = if kind == ChartKind::Loss { 100.0 } else { nice_max(data_max * 1.05) };
    let frame = Frame::new(from, to, height, y_max);
    let (ticks, tick_format) = time_ticks(from, to, 7);
    let with_value = points
        .iter()
        .filter(|p| match kind {
            ChartKind::Rtt => p.rtt_avg_ms.is_some(),
            ChartKind::Jitter => p.jitter_ms.is_some(),
            ChartKind::Loss => true,
        })
        .count();

    let body = match kind {
        ChartKind::Rtt => {
            let band: Vec<_> = points
                .iter()
                .map(|p| (p.at, p.rtt_min_ms.zip(p.rtt_max_ms).or(p.rtt_avg_ms.map(|a| (a, a)))))
                .collect();
            let avg: Vec<_> = points.iter().map(|p| (p.at, p.rtt_avg_ms)).collect();
            let band_d = band_path(&frame, &band, &gaps);
            let avg_d = line_path(&frame, &avg, &gaps);
            view! {
                <path class="chart-band" d=band_d data-series="rtt-band"></path>
                <path class="chart-line" d=avg_d data-series="rtt-avg"></path>
            }
            .into_any()
        }
        ChartKind::Jitter => {
            let line: Vec<_> = points.iter().map(|p| (p.at, p.jitter_ms)).collect();
            let d = line_path(&frame, &line, &gaps);
            view! { <path class="chart-line chart-line-jitter" d=d data-series="jitter"></path> }.into_any()
        }
        ChartKind::Loss => {
            // Bars as wide as the spacing between points (at least one unit, at most 12).
            let n = points.len().max(1);
            #[allow(clippy::cast_precision_loss)]
            let bar_w = ((Frame::right() - Frame::left()) / n as f64).clamp(1.0, 12.0);
            let bars: Vec<(f64, f64, String)> = points
                .iter()
                .filter(|p| p.loss_pct > 0.0)
                .map(|p| {
                    let x = frame.x(p.at) - bar_w / 2.0;
                    let y = frame.y(p.loss_pct);
                    (x.max(Frame::left()), y, format!("{} · {:.1} % loss", p.at.format("%H:%M:%S UTC"), p.loss_pct))
                })
                .collect();
            let d: String = bars
                .iter()
                .map(|(x, y, _)| format!("M{x:.1},{:.1} V{y:.1} h{bar_w:.1} V{:.1} Z ", frame.bottom(), frame.bottom()))
                .collect();
            view! {
                <path class="chart-bars" d=d.trim_end().to_owned() data-series="loss" data-bars=bars.len()>
                    <title>{format!("{} round(s) with loss", bars.len())}</title>
                </path>
            }
            .into_any()
        }
    };

    let gap_views = gaps
        .iter()
        .filter(|g| g.to > from && g.from < to)
        .map(|g| {
            let x0 = frame.x(g.from);
            let x1 = frame.x(g.to).max(x0 + 1.0);
            let w = x1 - x0;
            let title = format!(
                "No data (server down) from {} to {}",
                g.from.format("%Y-%m-%d %H:%M:%S UTC"),
                g.to.format("%Y-%m-%d %H:%M:%S UTC")
            );
            view! {
                <g class="chart-gap" data-gap="true">
                    <rect x=format!("{x0:.1}") y=format!("{:.1}", Frame::top()) width=format!("{w:.1}") height=format!("{:.1}", frame.bottom() - Frame::top())>
                        <title>{title}</title>
                    </rect>
                    {(w > 70.0)
                        .then(|| {
                            view! {
                                <text x=format!("{:.1}", x0 + w / 2.0) y=format!("{:.1}", Frame::top() + 14.0) text-anchor="middle" class="chart-gap-label">
                                    "no data (server down)"
                                </text>
                            }
                        })}
                </g>
            }
        })
        .collect_view();

    let change_views = changes
        .iter()
        .filter(|c| c.at >= from && c.at <= to)
        .map(|c| {
            let x = frame.x(c.at);
            let title = format!(
                "{} · {} by {} at {}{}",
                c.hostname,
                c.event_type,
                c.actor,
                c.at.format("%Y-%m-%d %H:%M:%S UTC"),
                if c.summary.is_empty() { String::new() } else { format!(": {}", c.summary) }
            );
            view! {
                <g class="chart-change" data-change=c.event_type.clone() data-hostname=c.hostname.clone()>
                    <line x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{:.1}", Frame::top()) y2=format!("{:.1}", frame.bottom())></line>
                    // A wider invisible line makes the marker easy to hover.
                    <line class="chart-change-hit" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{:.1}", Frame::top()) y2=format!("{:.1}", frame.bottom())>
                        <title>{title}</title>
                    </line>
                </g>
            }
        })
        .collect_view();

    let y_axis = y_ticks(y_max)
        .into_iter()
        .map(|v| {
            let y = frame.y(v);
            view! {
                <line class="chart-grid" x1=format!("{:.1}", Frame::left()) x2=format!("{:.1}", Frame::right()) y1=format!("{y:.1}") y2=format!("{y:.1}")></line>
                <text class="chart-tick" x=format!("{:.1}", Frame::left() - 6.0) y=format!("{:.1}", y + 4.0) text-anchor="end">
                    {tick_label(v, y_max / 4.0, kind.unit())}
                </text>
            }
        })
        .collect_view();
    let x_axis = ticks
        .into_iter()
        .map(|t| {
            let x = frame.x(t);
            view! {
                <line class="chart-grid chart-grid-x" x1=format!("{x:.1}") x2=format!("{x:.1}") y1=format!("{:.1}", Frame::top()) y2=format!("{:.1}", frame.bottom())></line>
                <text class="chart-tick" x=format!("{x:.1}") y=format!("{:.1}", frame.bottom() + 16.0) text-anchor="middle">
                    {t.format(tick_format).to_string()}
                </text>
            }
        })
        .collect_view();
    let threshold_view = threshold.filter(|t| *t > 0.0 && *t <= y_max).map(|t| {
        let y = frame.y(t);
        view! {
            <line class="chart-threshold" x1=format!("{:.1}", Frame::left()) x2=format!("{:.1}", Frame::right()) y1=format!("{y:.1}") y2=format!("{y:.1}")>
                <title>{format!("Alert threshold {}", fmt_value(t, kind.unit()))}</title>
            </line>
        }
    });

    // Drag-to-zoom, in viewBox units; only the browser sees mouse events.
    let on_down = move |ev: leptos::ev::MouseEvent| {
        if ev.button() != 0 {
            return;
        }
        if let Some(x) = pointer_x(&ev) {
            ev.prevent_default();
            drag.set(Some(Drag { kind, start: x, end: x }));
        }
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        if drag.with_untracked(|d| d.is_some_and(|d| d.kind == kind)) {
            if let Some(x) = pointer_x(&ev) {
                drag.update(|d| {
                    if let Some(d) = d {
                        d.end = x;
                    }
                });
            }
        }
    };
    let on_up = move |_| {
        if let Some(d) = drag.get_untracked().filter(|d| d.kind == kind) {
            drag.set(None);
            let (lo, hi) = if d.start <= d.end { (d.start, d.end) } else { (d.end, d.start) };
            if hi - lo >= MIN_DRAG {
                on_zoom.run((frame.time_at(lo), frame.time_at(hi)));
            }
        }
    };
    let selection = move || {
        drag.get().filter(|d| d.kind == kind).map(|d| {
            let (lo, hi) = if d.start <= d.end { (d.start, d.end) } else { (d.end, d.start) };
            let lo = lo.clamp(Frame::left(), Frame::right());
            let hi = hi.clamp(Frame::left(), Frame::right());
            view! {
                <rect class="chart-selection" x=format!("{lo:.1}") y=format!("{:.1}", Frame::top()) width=format!("{:.1}", hi - lo) height=format!("{:.1}", frame.bottom() - Frame::top())></rect>
            }
        })
    };

    let label = format!(
        "{} from {} to {}",
        kind.title(),
        from.format("%Y-%m-%d %H:%M:%S UTC"),
        to.format("%Y-%m-%d %H:%M:%S UTC")
    );
    view! {
        <figure class="chart" id=kind.id() data-points=with_value>
            <figcaption>{kind.title()}</figcaption>
            <div
                class="chart-area"
                on:mousedown=on_down
                on:mousemove=on_move
                on:mouseup=on_up
                on:mouseleave=move |_| drag.set(None)
                title="Drag across the chart to zoom in"
            >
                <svg
                    viewBox=format!("0 0 {WIDTH} {height}")
                    class="chart-svg"
                    role="img"
                    aria-label=label
                    xmlns="http://www.w3.org/2000/svg"
                >
                    {y_axis}
                    {x_axis}
                    {gap_views}
                    {body}
                    {threshold_view}
                    {change_views}
                    {selection}
                    <line class="chart-axis" x1=format!("{:.1}", Frame::left()) x2=format!("{:.1}", Frame::right()) y1=format!("{:.1}", frame.bottom()) y2=format!("{:.1}", frame.bottom())></line>
                    <text class="chart-tick chart-utc" x=format!("{:.1}", Frame::right()) y=format!("{:.1}", height - 2.0) text-anchor="end">
                        "UTC"
                    </text>
                </svg>
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).single().unwrap_or_default()
    }

    #[test]
    fn axis_maxima_are_round() {
        assert!((nice_max(0.0) - 1.0).abs() < 1e-9);
        assert!((nice_max(3.2) - 5.0).abs() < 1e-9);
        assert!((nice_max(12.0) - 20.0).abs() < 1e-9);
        assert!((nice_max(20.0) - 20.0).abs() < 1e-9);
        assert!((nice_max(0.031) - 0.05).abs() < 1e-9);
        assert!((nice_max(f64::NAN) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn time_ticks_fall_on_round_utc_instants_inside_the_range() {
        let (ticks, fmt) = time_ticks(t(7), t(3_600 + 7), 7);
        assert_eq!(fmt, "%H:%M");
        assert!(!ticks.is_empty() && ticks.len() <= 8, "{}", ticks.len());
        assert!(ticks.iter().all(|x| *x >= t(7) && *x <= t(3_607)));
        // 1 h over about 7 ticks: a 10-minute step, on the minute.
        assert!(ticks.iter().all(|x| x.timestamp() % 600 == 0));
        let (short, fmt) = time_ticks(t(0), t(20), 7);
        assert_eq!(fmt, "%H:%M:%S");
        assert!(short.len() >= 4);
    }

    #[test]
    fn frame_maps_the_range_onto_the_plot_and_back() {
        let f = Frame::new(t(0), t(100), 200.0, 50.0);
        assert!((f.x(t(0)) - Frame::left()).abs() < 1e-9);
        assert!((f.x(t(100)) - Frame::right()).abs() < 1e-9);
        assert!((f.y(0.0) - f.bottom()).abs() < 1e-9);
        assert!((f.y(50.0) - Frame::top()).abs() < 1e-9);
        // Out-of-range values stay inside the plot.
        assert!((f.y(500.0) - Frame::top()).abs() < 1e-9);
        let mid = f.time_at(f.x(t(40)));
        assert_eq!(mid, t(40));
        // A zero-length range does not divide by zero.
        let z = Frame::new(t(5), t(5), 100.0, 0.0);
        assert!(z.x(t(5)).is_finite() && z.y(1.0).is_finite());
    }

    #[test]
    fn lines_break_at_missing_values_and_at_gaps() {
        let f = Frame::new(t(0), t(10), 200.0, 10.0);
        let pts = vec![(t(0), Some(1.0)), (t(1), Some(2.0)), (t(2), None), (t(3), Some(3.0)), (t(8), Some(4.0))];
        let d = line_path(&f, &pts, &[]);
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 2, "{d}");
        let gaps = [Gap { from: t(4), to: t(7) }];
        let d = line_path(&f, &pts, &gaps);
        assert_eq!(d.matches('M').count(), 3, "{d}");
        // The lone point after the gap is still visible.
        assert!(d.ends_with("h0.1"), "{d}");
        assert_eq!(line_path(&f, &[(t(1), None)], &[]), "");
    }

    #[test]
    fn band_is_one_closed_polygon_per_run() {
        let f = Frame::new(t(0), t(10), 200.0, 10.0);
        let pts = vec![(t(0), Some((1.0, 3.0))), (t(1), Some((2.0, 4.0))), (t(2), None), (t(3), Some((1.0, 1.5)))];
        let d = band_path(&f, &pts, &[]);
        assert_eq!(d.matches('Z').count(), 2, "{d}");
        assert!(d.starts_with('M'));
    }

    #[test]
    fn tick_labels_carry_the_decimals_of_their_step() {
        let labels: Vec<String> = y_ticks(0.1).into_iter().map(|v| tick_label(v, 0.1 / 4.0, "ms")).collect();
        assert_eq!(labels, ["0 ms", "0.025 ms", "0.050 ms", "0.075 ms", "0.100 ms"]);
        assert_eq!(tick_label(75.0, 25.0, "%"), "75 %");
        assert_eq!(tick_label(2.5, 2.5, "ms"), "2.5 ms");
    }
}
