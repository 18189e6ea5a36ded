//! Exports of a job's samples (CSV rows streamed by the HTTP layer, or an .xlsx workbook with a
//! Samples sheet and a per-target Summary sheet), for the whole run or a time range.
//!
//! Memory stays bounded by reading the samples in batches through a small channel: the CSV is
//! written to the response as the batches arrive; the workbook's sample sheets use
//! rust_xlsxwriter's constant-memory mode (rows go to a temporary file as they are written), so
//! what is held is one batch, the per-target summaries (4 bytes per round for the p95) and the
//! compressed file at the end.

use std::collections::HashMap;

use app::error::AppError;
use app::model::CurrentUser;
use app::monitoring::model::JobRow;
use app::ssr::require_role;
use chrono::{DateTime, Utc};
use domain::identity::Permission;
use domain::monitoring::{JobTarget, RoundStats, Summary, SummaryBuilder};
use domain::FieldErrors;
use futures::TryStreamExt;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use sqlx::{PgPool, Row};
use tokio::sync::mpsc;

use super::super::audit::parse_time;
use super::super::{internal, AppState};
use super::jobs::{find, round};

/// Rows read from the database per batch.
const BATCH: usize = 5_000;
/// Batches in flight between the reader and the writer.
const IN_FLIGHT: usize = 4;
/// Data rows per sample sheet (Excel's limit is 1,048,576 rows including the header).
pub const ROWS_PER_SHEET: u32 = 1_000_000;

/// The columns of a sample row, in CSV and in the Samples sheet.
pub const SAMPLE_COLUMNS: [&str; 11] = [
    "time",
    "target",
    "name",
    "address",
    "sent",
    "received",
    "loss_pct",
    "rtt_min_ms",
    "rtt_avg_ms",
    "rtt_max_ms",
    "jitter_ms",
];

const SUMMARY_COLUMNS: [&str; 11] = [
    "name",
    "address",
    "rounds",
    "sent",
    "received",
    "loss_pct",
    "rtt_min_ms",
    "rtt_avg_ms",
    "rtt_max_ms",
    "rtt_p95_ms",
    "jitter_ms",
];

/// What an export covers, checked before anything is streamed (bad input is a 4xx, not a cut
/// download).
pub struct ExportPlan {
    pub job: JobRow,
    pub targets: Vec<JobTarget>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl ExportPlan {
    /// `monitor-<job name>-<stamp>.<ext>`, with only safe characters in the name.
    #[must_use]
    pub fn filename(&self, ext: &str) -> String {
        let slug: String = self
            .job
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' })
            .take(60)
            .collect();
        let slug = slug.trim_matches('-');
        let slug = if slug.is_empty() { "job" } else { slug };
        format!("monitor-{slug}-{}.{ext}", Utc::now().format("%Y%m%dT%H%M%SZ"))
    }

    fn names(&self) -> HashMap<String, (String, String)> {
        self.targets.iter().map(|t| (t.key.clone(), (t.name.clone(), t.address.clone()))).collect()
    }
}

pub async fn plan(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    from: &str,
    to: &str,
) -> Result<ExportPlan, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let mut e = FieldErrors::default();
    let from = e.check("from", parse_time(from)).flatten();
    let to = e.check("to", parse_time(to)).flatten();
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            e.push("to", "must be after 'from'");
        }
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e));
    }
    let (job, spec) = find(state, id).await?;
    Ok(ExportPlan { job, targets: spec.targets, from, to })
}

/// One sample with its target's name and address.
pub struct SampleRow {
    pub at: DateTime<Utc>,
    pub target: String,
    pub name: String,
    pub address: String,
    pub stats: RoundStats,
}

/// Milliseconds from microseconds, to the microsecond.
#[must_use]
pub fn ms(us: Option<u32>) -> Option<f64> {
    us.map(|v| f64::from(v) / 1000.0)
}

/// Batches of the plan's samples in time order, read by a task that stops when the receiver is
/// dropped (the client went away).
pub fn samples(pool: PgPool, plan: &ExportPlan) -> mpsc::Receiver<Result<Vec<SampleRow>, AppError>> {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let job_id = plan.job.id.clone();
    let (from, to) = (plan.from, plan.to);
    let names = plan.names();
    tokio::spawn(async move {
        let mut rows = sqlx::query(
            "SELECT target, at, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us
               FROM monitor_samples
              WHERE job_id = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at <= $3)
              ORDER BY at, target",
        )
        .bind(&job_id)
        .bind(from)
        .bind(to)
        .fetch(&pool);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            match rows.try_next().await {
                Ok(Some(r)) => {
                    let target: String = r.get("target");
                    let (name, address) = names.get(&target).cloned().unwrap_or_default();
                    batch.push(SampleRow { at: r.get("at"), stats: round(&r), target, name, address });
                    if batch.len() == BATCH
                        && tx.send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).await.is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(internal(e))).await;
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(Ok(batch)).await;
        }
    });
    rx
}

#[derive(Debug, thiserror::Error)]
enum WorkbookError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error(transparent)]
    App(AppError),
}

struct Formats {
    header: Format,
    time: Format,
    number: Format,
    integer: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold().set_align(FormatAlign::Center).set_background_color("#DDE4EE"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss.000"),
            number: Format::new().set_num_format("0.000"),
            integer: Format::new().set_num_format("0"),
        }
    }
}

fn header(ws: &mut Worksheet, columns: &[&str], f: &Formats, widths: &[f64]) -> Result<(), XlsxError> {
    for (c, (name, width)) in columns.iter().zip(widths).enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.set_column_width(c, *width)?;
        ws.write_string_with_format(0, c, *name, &f.header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn number(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>, f: &Format) -> Result<(), XlsxError> {
    if let Some(v) = v {
        ws.write_number_with_format(row, col, v, f)?;
    }
    Ok(())
}

const SAMPLE_WIDTHS: [f64; 11] = [24.0, 14.0, 28.0, 20.0, 7.0, 9.0, 9.0, 11.0, 11.0, 11.0, 10.0];

/// Writes the workbook from the batches; runs on a blocking thread (compression is CPU work).
fn write_workbook(
    mut rx: mpsc::Receiver<Result<Vec<SampleRow>, AppError>>,
    targets: &[JobTarget],
    rows_per_sheet: u32,
) -> Result<Vec<u8>, WorkbookError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut builders: HashMap<String, SummaryBuilder> = HashMap::new();
    let mut sheet = 0_usize;
    let mut row = 0_u32;
    let new_sheet = |wb: &mut Workbook, n: usize| -> Result<(), XlsxError> {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(if n == 0 { "Samples".to_owned() } else { format!("Samples {}", n + 1) })?;
        header(ws, &SAMPLE_COLUMNS, &f, &SAMPLE_WIDTHS)
    };
    let finish_sheet = |wb: &mut Workbook, index: usize, rows: u32| -> Result<(), XlsxError> {
        wb.worksheet_from_index(index)?.autofilter(0, 0, rows, 10)?;
        Ok(())
    };
    new_sheet(&mut wb, 0)?;
    while let Some(batch) = rx.blocking_recv() {
        let batch = batch.map_err(WorkbookError::App)?;
        for s in batch {
            if row == rows_per_sheet {
                finish_sheet(&mut wb, sheet, row)?;
                sheet += 1;
                row = 0;
                new_sheet(&mut wb, sheet)?;
            }
            row += 1;
            let ws = wb.worksheet_from_index(sheet)?;
            ws.write_datetime_with_format(row, 0, s.at.naive_utc(), &f.time)?;
            ws.write_string(row, 1, &s.target)?;
            ws.write_string(row, 2, &s.name)?;
            ws.write_string(row, 3, &s.address)?;
            ws.write_number_with_format(row, 4, f64::from(s.stats.sent), &f.integer)?;
            ws.write_number_with_format(row, 5, f64::from(s.stats.received), &f.integer)?;
            ws.write_number_with_format(row, 6, s.stats.loss_pct(), &f.number)?;
            number(ws, row, 7, ms(s.stats.rtt_min_us), &f.number)?;
            number(ws, row, 8, ms(s.stats.rtt_avg_us), &f.number)?;
            number(ws, row, 9, ms(s.stats.rtt_max_us), &f.number)?;
            number(ws, row, 10, ms(s.stats.jitter_us), &f.number)?;
            builders.entry(s.target).or_default().add(&s.stats);
        }
    }
    finish_sheet(&mut wb, sheet, row.max(1))?;
    let ws = wb.add_worksheet();
    ws.set_name("Summary")?;
    header(ws, &SUMMARY_COLUMNS, &f, &[28.0, 20.0, 9.0, 9.0, 9.0, 9.0, 11.0, 11.0, 11.0, 11.0, 10.0])?;
    let mut r = 0_u32;
    for t in targets {
        let s: Summary = builders.remove(&t.key).map(SummaryBuilder::finish).unwrap_or_default();
        r += 1;
        ws.write_string(r, 0, &t.name)?;
        ws.write_string(r, 1, &t.address)?;
        for (c, v) in [(2, s.rounds), (3, s.sent), (4, s.received)] {
            ws.write_number_with_format(r, c, v as f64, &f.integer)?;
        }
        ws.write_number_with_format(r, 5, s.loss_pct, &f.number)?;
        number(ws, r, 6, s.rtt_min_ms, &f.number)?;
        number(ws, r, 7, s.rtt_avg_ms, &f.number)?;
        number(ws, r, 8, s.rtt_max_ms, &f.number)?;
        number(ws, r, 9, s.rtt_p95_ms, &f.number)?;
        number(ws, r, 10, s.jitter_ms, &f.number)?;
    }
    ws.autofilter(0, 0, r.max(1), 10)?;
    Ok(wb.save_to_buffer()?)
}

/// The plan's samples and per-target summary as an .xlsx file.
pub async fn xlsx(pool: PgPool, plan: &ExportPlan) -> Result<Vec<u8>, AppError> {
    xlsx_with(pool, plan, ROWS_PER_SHEET).await
}

pub async fn xlsx_with(pool: PgPool, plan: &ExportPlan, rows_per_sheet: u32) -> Result<Vec<u8>, AppError> {
    let rx = samples(pool, plan);
    let targets = plan.targets.clone();
    let rows_per_sheet = rows_per_sheet.clamp(1, ROWS_PER_SHEET);
    match tokio::task::spawn_blocking(move || write_workbook(rx, &targets, rows_per_sheet)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(WorkbookError::App(e))) => Err(e),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
}
