//! Why a cabin-phone digit string was refused.

use super::Protocol;

/// Why a digit string was refused; the message names the fault and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but whitespace was posted.
    #[error("empty DTMF digit string")]
    Empty,
    /// A character that is not allowed where it stands.
    #[error("illegal digit {digit:?} at position {position}: expected {expected}")]
    IllegalDigit {
        /// The character.
        digit: char,
        /// 1-based character position in the posted string.
        position: usize,
        /// What may stand there.
        expected: &'static str,
    },
    /// Too few symbols to hold the message's fixed fields.
    #[error("{protocol} message truncated: {found} symbols, at least {needed} needed")]
    Truncated {
        /// The protocol being read.
        protocol: Protocol,
        /// Symbols found (after a start tone).
        found: usize,
        /// Symbols the fixed fields need.
        needed: usize,
    },
    /// The P100 length digit and the data disagree.
    #[error("P100 length digit declares {declared} data digits, the packet carries {found}")]
    BadLength {
        /// Data digits the length symbol declares.
        declared: u8,
        /// Data digits between the length symbol and the checksum.
        found: usize,
    },
    /// The P100 checksum does not match the packet.
    #[error("P100 checksum mismatch: the packet sums to {expected}, its checksum says {found}")]
    BadChecksum {
        /// The checksum computed from the packet, two hex digits.
        expected: String,
        /// The checksum sent, two hex digits.
        found: String,
    },
    /// The first P100 symbol is not an alarm type.
    #[error("unknown P100 alarm type {0:?} (1 alarm, 2 operational failure, 3 self-test)")]
    UnknownType(char),
    /// The CPC command is not `04`.
    #[error("unknown {protocol} command {command:?} (only 04 is defined)")]
    UnknownCommand {
        /// The protocol being read.
        protocol: Protocol,
        /// The two command digits.
        command: String,
    },
    /// The CPC call type is not one the variant defines.
    #[error("unknown {protocol} call type {call_type:?}")]
    UnknownCallType {
        /// The protocol being read.
        protocol: Protocol,
        /// The two call-type digits.
        call_type: String,
    },
    /// The lift id is missing or has the wrong size.
    #[error("{protocol} lift id: {reason}")]
    BadId {
        /// The protocol being read.
        protocol: Protocol,
        /// What is wrong with it.
        reason: String,
    },
    /// Auto-detection found neither a P100 alarm type nor a CPC command at the start.
    #[error(
        "cannot tell the protocol from {digit:?} at position {position}: \
         a P100 packet starts with 1-3, a CPC message with 04"
    )]
    Undetected {
        /// The first symbol.
        digit: char,
        /// Its 1-based position in the posted string.
        position: usize,
    },
    /// A protocol name that is not P100, CPC-KONE, CPC-Antenna or auto.
    #[error("unknown cabin-phone protocol {0:?} (P100, CPC-KONE, CPC-Antenna or auto)")]
    UnknownProtocol(String),
}

impl PhoneError {
    /// How far a parser got before it failed; [`decode`] with `Auto` reports the furthest of
    /// the two CPC variants.
    pub(super) fn depth(&self) -> u8 {
        match self {
            Self::Empty | Self::UnknownProtocol(_) | Self::Undetected { .. } => 0,
            Self::UnknownType(_) | Self::UnknownCommand { .. } => 1,
            Self::Truncated { .. } => 2,
            Self::IllegalDigit { .. } | Self::UnknownCallType { .. } => 3,
            Self::BadLength { .. } => 4,
            Self::BadChecksum { .. } | Self::BadId { .. } => 5,
        }
    }
}
