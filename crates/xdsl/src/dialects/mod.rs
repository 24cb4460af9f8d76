//! One module per output format ("dialect"). Every module has the same shape:
//! `recognises(&str) -> bool` (a cheap look at the content, for `--detect`),
//! `parse(&str) -> Result<LineReading, ParseError>`, its fixture tests and its property tests.

use serde::{Deserialize, Serialize};

use crate::error::ParseError;
use crate::model::LineReading;

pub mod broadcom;
pub mod draytek;
pub mod homeware;
pub mod lantiq;
pub mod openwrt;
pub mod params;
pub mod tr064;
pub mod tr098;
pub mod tr181;
pub mod trendchip;
pub mod zte;
pub mod zyxel;

/// The output formats linewatch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Broadcom `xdslctl` / `xdslcmd` / `adsl` `info --stats`, `--show`, `--state`, plain `info`.
    Broadcom,
    /// Technicolor Homeware `transformer-cli get sys.class.xdsl.@line0.` and `rpc.xdslctl.`.
    Homeware,
    /// OpenWrt `ubus call dsl metrics` JSON and the prpl `dsl status` / `dsl stats` schema.
    Openwrt,
    /// Lantiq `/etc/init.d/dsl_control status` and `lucistat`.
    Lantiq,
    /// ZTE web UI XML (`ParaName`/`ParaValue`).
    Zte,
    /// DrayTek `vdsl status` / `adsl status more`.
    Draytek,
    /// TrendChip / ZyNOS `wan adsl` commands.
    Trendchip,
    /// ZyXEL web UI "xDSL Statistics" text.
    Zyxel,
    /// TR-098 `InternetGatewayDevice.WANDevice.{i}.WANDSLInterfaceConfig.*` parameters.
    Tr098,
    /// TR-181 `Device.DSL.*` parameters.
    Tr181,
    /// FRITZ!Box TR-064 `WANDSLInterfaceConfig` `GetInfo` / `GetStatisticsTotal` responses.
    Tr064,
}

impl Dialect {
    /// Every dialect, in the order `--detect` tries them (the most specific first).
    pub const ALL: [Dialect; 11] = [
        Dialect::Tr181,
        Dialect::Tr098,
        Dialect::Tr064,
        Dialect::Zte,
        Dialect::Openwrt,
        Dialect::Homeware,
        Dialect::Lantiq,
        Dialect::Draytek,
        Dialect::Zyxel,
        Dialect::Trendchip,
        Dialect::Broadcom,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Broadcom => "broadcom",
            Dialect::Homeware => "homeware",
            Dialect::Openwrt => "openwrt",
            Dialect::Lantiq => "lantiq",
            Dialect::Zte => "zte",
            Dialect::Draytek => "draytek",
            Dialect::Trendchip => "trendchip",
            Dialect::Zyxel => "zyxel",
            Dialect::Tr098 => "tr098",
            Dialect::Tr181 => "tr181",
            Dialect::Tr064 => "tr064",
        }
    }

    /// What the dialect covers, for `--help` and error messages.
    pub fn description(self) -> &'static str {
        match self {
            Dialect::Broadcom => "Broadcom xdslctl/xdslcmd/adsl info --stats, --show, --state, info",
            Dialect::Homeware => "Technicolor transformer-cli get sys.class.xdsl.@line0. / rpc.xdslctl.",
            Dialect::Openwrt => "OpenWrt ubus call dsl metrics; prpl ubus call dsl status / stats",
            Dialect::Lantiq => "Lantiq /etc/init.d/dsl_control status / lucistat",
            Dialect::Zte => "ZTE web UI XML (ParaName/ParaValue)",
            Dialect::Draytek => "DrayTek vdsl status [more] / adsl status [more]",
            Dialect::Trendchip => "TrendChip/ZyNOS wan adsl chandata/perfdata/status/...",
            Dialect::Zyxel => "ZyXEL web UI xDSL Statistics text",
            Dialect::Tr098 => "TR-098 InternetGatewayDevice...WANDSLInterfaceConfig parameters",
            Dialect::Tr181 => "TR-181 Device.DSL parameters",
            Dialect::Tr064 => "FRITZ!Box TR-064 WANDSLInterfaceConfig GetInfo/GetStatisticsTotal",
        }
    }

    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Parses `input` as this dialect.
    pub fn parse(self, input: &str) -> Result<LineReading, ParseError> {
        if input.trim().is_empty() {
            return Err(ParseError::Empty);
        }
        let mut reading = self.parse_raw(input)?;
        reading.settle();
        Ok(reading)
    }

    /// The dialect module's own reading, before [`LineReading::settle`].
    fn parse_raw(self, input: &str) -> Result<LineReading, ParseError> {
        match self {
            Dialect::Broadcom => broadcom::parse(input),
            Dialect::Homeware => homeware::parse(input),
            Dialect::Openwrt => openwrt::parse(input),
            Dialect::Lantiq => lantiq::parse(input),
            Dialect::Zte => zte::parse(input),
            Dialect::Draytek => draytek::parse(input),
            Dialect::Trendchip => trendchip::parse(input),
            Dialect::Zyxel => zyxel::parse(input),
            Dialect::Tr098 => tr098::parse(input),
            Dialect::Tr181 => tr181::parse(input),
            Dialect::Tr064 => tr064::parse(input),
        }
    }

    /// A cheap look at the content: does it look like this dialect's output?
    pub fn recognises(self, input: &str) -> bool {
        match self {
            Dialect::Broadcom => broadcom::recognises(input),
            Dialect::Homeware => homeware::recognises(input),
            Dialect::Openwrt => openwrt::recognises(input),
            Dialect::Lantiq => lantiq::recognises(input),
            Dialect::Zte => zte::recognises(input),
            Dialect::Draytek => draytek::recognises(input),
            Dialect::Trendchip => trendchip::recognises(input),
            Dialect::Zyxel => zyxel::recognises(input),
            Dialect::Tr098 => tr098::recognises(input),
            Dialect::Tr181 => tr181::recognises(input),
            Dialect::Tr064 => tr064::recognises(input),
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The last step of the parsers of structured dialects: windows that stayed empty go, and
/// input that says nothing of the line itself (device info only, per-tone data) is
/// `NotLineStatus`, with `hint` telling the user what to run instead.
pub(crate) fn conclude(mut reading: LineReading, hint: &str) -> Result<LineReading, ParseError> {
    reading.counters.prune();
    if !reading.holds_line_status() {
        return Err(ParseError::NotLineStatus { dialect: reading.dialect, reason: hint.to_string() });
    }
    Ok(reading)
}

/// Sets `slot` unless a value is already there: the first statement of a value wins, so a
/// paste cut short can only lose values, never change them.
pub(crate) fn keep_first<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// Recognises the dialect of `input` from its content.
pub fn detect(input: &str) -> Result<Dialect, ParseError> {
    if input.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    if let Some(dialect) = Dialect::ALL.into_iter().find(|d| d.recognises(input)) {
        return Ok(dialect);
    }
    if let Some((line, text)) = crate::text::error_transcript(input) {
        return Err(ParseError::ModemError { line, text });
    }
    let (line, text) = crate::text::first_line(input).unwrap_or((1, String::new()));
    Err(ParseError::Undetected { tried: Dialect::ALL.to_vec(), line, text })
}

/// Recognises the dialect of `input` and parses it.
pub fn parse_detected(input: &str) -> Result<LineReading, ParseError> {
    detect(input)?.parse(input)
}
