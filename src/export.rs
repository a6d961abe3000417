//! Exports for spreadsheets and scripts: the fleet's lists as CSV (a header row, RFC 4180
//! quoting, UTF-8) or as a JSON array of the API's own objects. Records are written as they
//! arrive, page by page, so an export of any length holds one page in memory.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::api::events::Event;
use crate::api::{Assignment, TechnicianListItem, VehicleListItem};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Writes one record at a time; nothing is kept but the writer's buffer.
pub struct RecordWriter<W: Write> {
    out: Sink<W>,
}

enum Sink<W: Write> {
    // Boxed: the csv writer carries its buffer inline.
    Csv(Box<csv::Writer<W>>),
    Json { out: W, first: bool },
}

impl<W: Write> RecordWriter<W> {
    /// Starts the file: the header row (CSV) or the opening bracket (JSON).
    pub fn new(format: Format, out: W, header: &[&str]) -> Result<RecordWriter<W>, ExportError> {
        let out = match format {
            Format::Csv => {
                // The csv crate quotes as RFC 4180 says: fields with commas, quotes or line
                // breaks are quoted, quotes doubled. CRLF line ends, as the RFC has them.
                let mut writer = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out);
                writer.write_record(header)?;
                Sink::Csv(Box::new(writer))
            }
            Format::Json => {
                let mut out = out;
                out.write_all(b"[")?;
                Sink::Json { out, first: true }
            }
        };
        Ok(RecordWriter { out })
    }

    /// One record: `fields` for CSV (in the header's order), `object` for JSON.
    pub fn record(
        &mut self,
        fields: &[String],
        object: &impl Serialize,
    ) -> Result<(), ExportError> {
        match &mut self.out {
            Sink::Csv(writer) => writer.write_record(fields)?,
            Sink::Json { out, first } => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, object)?;
                *first = false;
            }
        }
        Ok(())
    }

    /// Ends the file and flushes it.
    pub fn finish(self) -> Result<W, ExportError> {
        match self.out {
            Sink::Csv(writer) => writer
                .into_inner()
                .map_err(|err| ExportError::Io(err.into_error())),
            Sink::Json { mut out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
                Ok(out)
            }
        }
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// A kind of record and its CSV columns, named as the API names the fields.
pub trait Columns {
    const HEADER: &'static [&'static str];
    fn fields(&self) -> Vec<String>;
}

impl Columns for Assignment {
    const HEADER: &'static [&'static str] = &[
        "id",
        "status",
        "vehicleId",
        "vehicle",
        "licensePlate",
        "technicianId",
        "technician",
        "technicianEmail",
        "assignedDate",
        "returnedDate",
        "assignedBy",
        "returnedBy",
        "returnOdometerKm",
        "returnNote",
    ];

    fn fields(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.status.as_str().to_string(),
            self.vehicle_id.to_string(),
            self.vehicle.name.clone(),
            self.vehicle.license_plate.clone(),
            self.technician_id.to_string(),
            self.technician.name.clone(),
            self.technician.email.clone(),
            time(self.assigned_date),
            optional(self.returned_date.map(time)),
            optional(self.assigned_by.as_ref().map(|actor| actor.name.clone())),
            optional(self.returned_by.as_ref().map(|actor| actor.name.clone())),
            optional(self.return_odometer_km),
            optional(self.return_note.clone()),
        ]
    }
}

impl Columns for VehicleListItem {
    const HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "licensePlate",
        "make",
        "model",
        "year",
        "serviceStatus",
        "statusNote",
        "odometerKm",
        "assignmentId",
        "technician",
        "technicianEmail",
        "assignedDate",
        "createdAt",
    ];

    fn fields(&self) -> Vec<String> {
        let v = &self.vehicle;
        let held = self.active_assignment.as_ref();
        vec![
            v.id.to_string(),
            v.name.clone(),
            v.license_plate.clone(),
            optional(v.make.clone()),
            optional(v.model.clone()),
            optional(v.year),
            v.service_status.as_str().to_string(),
            optional(v.status_note.clone()),
            optional(v.odometer_km),
            optional(held.map(|a| a.id)),
            optional(held.map(|a| a.technician.name.clone())),
            optional(held.map(|a| a.technician.email.clone())),
            optional(held.map(|a| time(a.assigned_date))),
            time(v.created_at),
        ]
    }
}

impl Columns for TechnicianListItem {
    const HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "email",
        "assignmentId",
        "vehicleId",
        "vehicle",
        "licensePlate",
        "assignedDate",
    ];

    fn fields(&self) -> Vec<String> {
        let held = self.active_assignment.as_ref();
        vec![
            self.user.id.to_string(),
            self.user.name.clone(),
            self.user.email.clone(),
            optional(held.map(|a| a.id)),
            optional(held.map(|a| a.vehicle.id)),
            optional(held.map(|a| a.vehicle.name.clone())),
            optional(held.map(|a| a.vehicle.license_plate.clone())),
            optional(held.map(|a| time(a.assigned_date))),
        ]
    }
}

impl Columns for Event {
    const HEADER: &'static [&'static str] = &[
        "id",
        "at",
        "actorId",
        "actor",
        "kind",
        "vehicleId",
        "technicianId",
        "userId",
        "assignmentId",
        "organizationId",
        "relId",
        "apiKeyId",
        "data",
    ];

    fn fields(&self) -> Vec<String> {
        let s = &self.subject;
        vec![
            self.id.to_string(),
            time(self.at),
            optional(self.actor.as_ref().map(|actor| actor.id)),
            optional(self.actor.as_ref().map(|actor| actor.name.clone())),
            self.kind.as_str().to_string(),
            optional(s.vehicle_id),
            optional(s.technician_id),
            optional(s.user_id),
            optional(s.assignment_id),
            optional(s.organization_id.clone()),
            optional(s.rel_id),
            optional(s.api_key_id),
            self.data.to_string(),
        ]
    }
}

/// `--since`: a day (`2026-11-01`, midnight UTC), an RFC 3339 time, or how long ago
/// (`7days`, `12h`).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let ago = humantime::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a day (2026-11-01), a time (RFC 3339) or a duration ago (7days)")
    })?;
    chrono::Duration::from_std(ago)
        .ok()
        .and_then(|ago| Utc::now().checked_sub_signed(ago))
        .ok_or_else(|| format!("{text:?} reaches too far back"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_json_is_one_array() {
        let mut csv = RecordWriter::new(Format::Csv, Vec::new(), &["a", "b"]).expect("csv");
        csv.record(
            &["x, y".to_string(), "say \"hi\"\nthere 🚐".to_string()],
            &(),
        )
        .expect("record");
        let text = String::from_utf8(csv.finish().expect("finish")).expect("utf-8");
        assert_eq!(text, "a,b\r\n\"x, y\",\"say \"\"hi\"\"\nthere 🚐\"\r\n");

        let mut json = RecordWriter::new(Format::Json, Vec::new(), &[]).expect("json");
        for n in 0..3 {
            json.record(&[], &serde_json::json!({"n": n}))
                .expect("record");
        }
        let text = String::from_utf8(json.finish().expect("finish")).expect("utf-8");
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
        assert_eq!(parsed, serde_json::json!([{"n": 0}, {"n": 1}, {"n": 2}]));
        let empty = RecordWriter::new(Format::Json, Vec::new(), &[]).expect("json");
        let text = String::from_utf8(empty.finish().expect("finish")).expect("utf-8");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("JSON"),
            serde_json::json!([])
        );
    }

    #[test]
    fn since_takes_days_times_and_durations() {
        assert_eq!(
            parse_since("2026-11-01").map(time),
            Ok("2026-11-01T00:00:00Z".to_string())
        );
        assert_eq!(
            parse_since("2026-11-01T08:15:00+01:00").map(time),
            Ok("2026-11-01T07:15:00Z".to_string())
        );
        let week = parse_since("7days").expect("a duration");
        let expected = Utc::now() - chrono::Duration::days(7);
        assert!((week - expected).num_seconds().abs() < 5);
        assert!(parse_since("last week").is_err());
    }
}
