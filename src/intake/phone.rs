//! EN 81-28 cabin-phone alarm protocols, as a telephony gateway delivers them: the DTMF digit
//! string the phone sent, already decoded from tones to characters.
//!
//! [`decode`] checks a digit string completely and answers a [`PhoneMessage`] (which protocol,
//! what kind of call, the phone's own lift id) or a [`PhoneError`] that names the fault: the
//! illegal digit and where it is, the declared and the found length, the expected and the found
//! checksum. [`to_alarm`] turns an alarm call into the [`NewAlarm`] the inbox takes.
//!
//! # Digits
//!
//! A DTMF symbol is one of `0`–`9` (values 0–9), `A`–`D` (10–13), `*` (14) and `#` (15).
//! Lower-case `a`–`d` are read as upper-case. Whitespace around the string is ignored; anything
//! else is an illegal digit. Positions in errors are 1-based and count characters of the string
//! as the gateway posted it.
//!
//! A leading `D` is the receiver's *start* tone, recorded by some gateways: it is stripped before
//! the message is parsed (no P100 packet or CPC message can begin with `D`, so this is never
//! ambiguous). The other receiver tones — `A` acknowledge, `C` retransmit — come after the
//! packet and are not part of what the gateway should post; a trailing one is refused as a
//! length fault rather than guessed at.
//!
//! # P100
//!
//! ```text
//! [D] T L d1 … dL H1 H2
//! ```
//!
//! - `T` alarm type: `1` alarm (voice follows), `2` operational failure, `3` self-test.
//! - `L` data length, one symbol: the number of data digits, 0–15. Lengths 10–15 are written as
//!   the single symbol of that value: `A`=10, `B`=11, `C`=12, `D`=13, `*`=14, `#`=15.
//! - `d1 … dL` data. The first eight are the phone's lift id, decimal digits: a type-1 alarm
//!   carries exactly that id (L = 8); types 2 and 3 carry the id and may append more symbols.
//!   After the id, a self-test lists the faults it found, one symbol each (see
//!   [`PhoneFault`]); what follows the id in an operational failure is kept as
//!   [`PhoneMessage::data`].
//! - `H1 H2` checksum: the sum of the *values* of `T`, `L` and every data symbol, modulo 256,
//!   as two hexadecimal digits, high nibble first. A nibble is sent as the DTMF symbol of the
//!   same value, so hex `E` and `F` arrive as `*` and `#`; gateways that translate them back are
//!   served too (`E`/`F` are accepted in the two checksum positions only). The largest possible
//!   sum is 3 + 15 + 15 × 15 = 243, so the modulo never actually wraps.
//!
//! A packet shorter than four symbols (type, length, checksum) is *truncated*; one whose data
//! count differs from `L` has a *bad length*.
//!
//! | packet | meaning | checksum |
//! |---|---|---|
//! | `18123456782D` | alarm from lift id 12345678 | 1+8+(1+2+…+8) = 45 = 0x2D |
//! | `18000003991*` | alarm from lift id 00000399 | 1+8+21 = 30 = 0x1E, `E` sent as `*` |
//! | `280000004210` | operational failure, lift id 00000042 | 2+8+6 = 16 = 0x10 |
//! | `3912345678131` | self-test, lift id 12345678, battery fault | 3+9+37 = 49 = 0x31 |
//! | `3C1234567812343D` | self-test, 12 data digits (`C`), faults 1–4 | 3+12+46 = 61 = 0x3D |
//!
//! # CPC (KONE and Antenna)
//!
//! The CPC fields are command, call type, data and id. The gateway posts them as:
//!
//! ```text
//! [D] C C T T [data …] * ID… [#]
//! ```
//!
//! - `CC` command, two decimal digits: always `04`.
//! - `TT` call type, two decimal digits, per variant:
//!
//!   | call type | KONE | Antenna |
//!   |---|---|---|
//!   | alarm | `10` | `27` |
//!   | test (checking) call | `21` | `26` |
//!   | rescue ended | `84` | `84` |
//!   | alarm button error | `90` | — |
//!   | audio error | `91` | — |
//!   | battery | `31` | — |
//!
//! - `data`: zero or more of `0`–`9`, `A`–`D`. For a test call they are fault symbols
//!   ([`PhoneFault`]); otherwise they are kept as [`PhoneMessage::data`].
//! - `*` separates data from the id and is required.
//! - `ID` the phone's lift id: 1 to 16 decimal digits.
//! - `#` end mark, optional.
//!
//! Examples: `0410*12345678#` (KONE alarm from lift id 12345678), `042113*12345678#` (KONE test
//! call reporting battery and microphone faults), `0427*0231234567` (Antenna alarm),
//! `0484*12345678#` (rescue ended, either variant).
//!
//! # Auto-detection
//!
//! [`Protocol::Auto`] reads the first symbol after any start tone: a P100 packet starts with its
//! alarm type `1`–`3`, a CPC message with the `0` of its command, so the family is never in
//! doubt and errors speak about the protocol the sender meant. Any other first symbol is
//! [`PhoneError::Undetected`]. Within CPC, KONE is tried first, then Antenna; `04 84` (rescue
//! ended) fits both with the same meaning and is reported as KONE. When neither variant fits,
//! the error of the one that got further is reported (a bad id beats an unknown call type,
//! which beats a truncated message).

mod cpc;
mod error;
mod p100;

pub use error::PhoneError;

use crate::domain::NewAlarm;
use crate::domain::{AlarmFlags, AlarmKind, AlarmSource, AlarmStatus, LiftRef, PhoneNumber};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A cabin-phone protocol; [`Protocol::Auto`] asks [`decode`] to detect it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// The open P100 DTMF protocol.
    P100,
    /// CPC, KONE variant.
    CpcKone,
    /// CPC, Antenna variant.
    CpcAntenna,
    /// Detect: try P100, CPC-KONE, CPC-Antenna. Never the protocol of a decoded message.
    Auto,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::P100 => "P100",
            Self::CpcKone => "CPC-KONE",
            Self::CpcAntenna => "CPC-Antenna",
            Self::Auto => "auto",
        })
    }
}

impl FromStr for Protocol {
    type Err = PhoneError;
    /// Reads `P100`, `CPC-KONE`, `CPC-Antenna`, `auto` in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<Self, PhoneError> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "p100" => Ok(Self::P100),
            "cpc_kone" => Ok(Self::CpcKone),
            "cpc_antenna" => Ok(Self::CpcAntenna),
            "auto" => Ok(Self::Auto),
            _ => Err(PhoneError::UnknownProtocol(s.to_owned())),
        }
    }
}

/// A fault a phone reports about itself, one data symbol each (P100 self-test after the id,
/// CPC test-call data): `1` battery, `2` speaker, `3` microphone, `4` alarm button.
///
/// The open protocol texts fix the fields, not this table; it is our reading and should be
/// confirmed with the phone vendor. Other symbols are kept as [`PhoneFault::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneFault {
    /// Battery low or failed.
    Battery,
    /// Speaker failed.
    Speaker,
    /// Microphone failed.
    Microphone,
    /// The alarm button is stuck or broken.
    AlarmButton,
    /// A symbol this table does not know, as received.
    Other(char),
}

impl PhoneFault {
    fn from_symbol(c: char) -> Self {
        match c {
            '1' => Self::Battery,
            '2' => Self::Speaker,
            '3' => Self::Microphone,
            '4' => Self::AlarmButton,
            other => Self::Other(other),
        }
    }
}

/// What the call is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// An alarm: someone pressed the button. `voice` is true when the protocol says two-way
    /// voice follows (P100 type 1 and every CPC alarm call do).
    Alarm {
        /// Voice follows the data.
        voice: bool,
    },
    /// P100 type 2: the phone reports an operational failure of the lift.
    OperationalFailure,
    /// A periodic self-test / checking call, with the faults it reports (empty when healthy).
    TestCall {
        /// What the phone found wrong with itself.
        faults: Vec<PhoneFault>,
    },
    /// Someone ended the rescue at the phone (CPC `04 84`).
    RescueEnded,
    /// The phone's alarm button is faulty (CPC-KONE `04 90`).
    ButtonError,
    /// The phone's speaker or microphone is faulty (CPC-KONE `04 91`).
    AudioError,
    /// The phone's battery is low (CPC-KONE `04 31`).
    BatteryLow,
}

impl CallKind {
    /// For a health report about the phone itself (test call, button / audio / battery error),
    /// the faults it reports; `None` for calls about the lift.
    pub fn health_report(&self) -> Option<Vec<PhoneFault>> {
        match self {
            Self::TestCall { faults } => Some(faults.clone()),
            Self::ButtonError => Some(vec![PhoneFault::AlarmButton]),
            Self::AudioError => Some(vec![PhoneFault::Speaker, PhoneFault::Microphone]),
            Self::BatteryLow => Some(vec![PhoneFault::Battery]),
            Self::Alarm { .. } | Self::OperationalFailure | Self::RescueEnded => None,
        }
    }
}

/// A checked cabin-phone message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneMessage {
    /// The protocol it was read as (never [`Protocol::Auto`]).
    pub protocol: Protocol,
    /// What the call is about.
    pub kind: CallKind,
    /// The lift id the phone sent (decimal digits: 8 for P100, 1–16 for CPC).
    pub phone_id: String,
    /// Data symbols other than the id and the faults already read into `kind`, as received.
    pub data: String,
    /// The digit string as posted, surrounding whitespace trimmed.
    pub digits: String,
}

/// The symbols to parse: the trimmed string without a start tone, and the 1-based position
/// (in the posted string) of its first character.
struct Symbols {
    chars: Vec<char>,
    first: usize,
}

impl Symbols {
    fn new(digits: &str) -> Result<(Self, &str), PhoneError> {
        let trimmed = digits.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let lead = digits.chars().take_while(|c| c.is_whitespace()).count();
        let mut chars: Vec<char> = trimmed.chars().collect();
        let mut first = lead + 1;
        if matches!(chars.first(), Some('D' | 'd')) {
            chars.remove(0);
            first += 1;
        }
        Ok((Self { chars, first }, trimmed))
    }

    /// The 1-based position of symbol `i`.
    fn position(&self, i: usize) -> usize {
        self.first + i
    }

    /// An illegal-digit error for symbol `i`.
    fn illegal(&self, i: usize, expected: &'static str) -> PhoneError {
        PhoneError::IllegalDigit {
            digit: self.chars.get(i).copied().unwrap_or(' '),
            position: self.position(i),
            expected,
        }
    }
}

/// The value of a DTMF symbol: `0`–`9`, `A`–`D` (10–13), `*` (14), `#` (15).
fn dtmf_value(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        d @ '0'..='9' => Some(d as u8 - b'0'),
        l @ 'A'..='D' => Some(l as u8 - b'A' + 10),
        '*' => Some(14),
        '#' => Some(15),
        _ => None,
    }
}

/// Decodes a digit string as `protocol` (or detects it with [`Protocol::Auto`]).
pub fn decode(protocol: Protocol, digits: &str) -> Result<PhoneMessage, PhoneError> {
    let (symbols, trimmed) = Symbols::new(digits)?;
    let parsed = match protocol {
        Protocol::P100 => p100::parse(&symbols),
        Protocol::CpcKone | Protocol::CpcAntenna => cpc::parse(&symbols, protocol),
        Protocol::Auto => detect(&symbols),
    }?;
    Ok(PhoneMessage {
        digits: trimmed.to_owned(),
        ..parsed
    })
}

/// Picks the family by the first symbol; within CPC, the first variant that fits, or the error
/// of the one that got further.
fn detect(symbols: &Symbols) -> Result<PhoneMessage, PhoneError> {
    match symbols.chars.first() {
        None => Err(PhoneError::Truncated {
            protocol: Protocol::Auto,
            found: 0,
            needed: 4,
        }),
        Some('1'..='3') => p100::parse(symbols),
        Some('0') => cpc::parse(symbols, Protocol::CpcKone).or_else(|kone| {
            cpc::parse(symbols, Protocol::CpcAntenna).map_err(|antenna| {
                if antenna.depth() > kone.depth() {
                    antenna
                } else {
                    kone
                }
            })
        }),
        Some(&c) if dtmf_value(c).is_some() => Err(PhoneError::Undetected {
            digit: c,
            position: symbols.position(0),
        }),
        Some(_) => Err(symbols.illegal(0, "a DTMF digit")),
    }
}

/// The inbox alarm for an alarm call, or `None` for a health report (test call, button /
/// audio / battery error), which line supervision records instead.
///
/// - Alarm → [`AlarmKind::PassengerAlarm`], status New.
/// - Rescue ended → PassengerAlarm, status Cleared: logged on the incident, never closes it.
/// - Operational failure → `Fault("phone_operational_failure")`, status New.
///
/// The lift is named by the caller id ([`LiftRef::Phone`]): that is what the registry knows.
/// The phone's own lift id, the protocol and `voice_open` go into the description.
/// `call_id` (the gateway's id for the call) becomes the source alarm id, so a gateway that
/// posts the same call twice makes one alarm; the caller checks its size.
pub fn to_alarm(
    msg: &PhoneMessage,
    caller: &PhoneNumber,
    call_id: &str,
    voice_open: bool,
    occurred_at: DateTime<Utc>,
) -> Option<NewAlarm> {
    let (kind, status, what) = match msg.kind {
        CallKind::Alarm { .. } => (AlarmKind::PassengerAlarm, AlarmStatus::New, "alarm call"),
        CallKind::RescueEnded => (
            AlarmKind::PassengerAlarm,
            AlarmStatus::Cleared,
            "rescue ended",
        ),
        CallKind::OperationalFailure => (
            AlarmKind::Fault("phone_operational_failure".to_owned()),
            AlarmStatus::New,
            "operational failure",
        ),
        _ => return None,
    };
    let voice = if voice_open { "open" } else { "not open" };
    Some(NewAlarm {
        channel: AlarmSource::CabinPhone,
        source_alarm_id: call_id.to_owned(),
        lift_ref: LiftRef::Phone(caller.clone()),
        kind,
        status,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: format!(
            "cabin phone {what} ({}, phone lift id {}), voice {voice}",
            msg.protocol, msg.phone_id
        ),
        occurred_at,
    })
}

#[cfg(test)]
mod tests;
