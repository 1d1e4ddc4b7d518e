//! CPC messages (KONE and Antenna variants): `[D] CC TT [data …] * ID [#]`, layout in the
//! parent module's docs.

use super::{CallKind, PhoneError, PhoneFault, PhoneMessage, Protocol, Symbols};

/// The only CPC command.
const COMMAND: &str = "04";
/// Command and call type.
const HEADER_LEN: usize = 4;
/// Longest lift id, digits.
const ID_MAX: usize = 16;

/// The call kind a variant gives a call type, or `None` when the variant does not define it.
fn call_kind(protocol: Protocol, call_type: &str, data: &[char]) -> Option<CallKind> {
    let faults = || data.iter().map(|c| PhoneFault::from_symbol(*c)).collect();
    let kind = match (protocol, call_type) {
        (Protocol::CpcKone, "10") | (Protocol::CpcAntenna, "27") => CallKind::Alarm { voice: true },
        (Protocol::CpcKone, "21") | (Protocol::CpcAntenna, "26") => {
            CallKind::TestCall { faults: faults() }
        }
        (Protocol::CpcKone | Protocol::CpcAntenna, "84") => CallKind::RescueEnded,
        (Protocol::CpcKone, "90") => CallKind::ButtonError,
        (Protocol::CpcKone, "91") => CallKind::AudioError,
        (Protocol::CpcKone, "31") => CallKind::BatteryLow,
        _ => return None,
    };
    Some(kind)
}

/// Parses a CPC message as the `protocol` variant (`CpcKone` or `CpcAntenna`).
pub(super) fn parse(s: &Symbols, protocol: Protocol) -> Result<PhoneMessage, PhoneError> {
    let c = &s.chars;
    check_header(s)?;
    if c.len() < 2 {
        return Err(truncated(protocol, c.len()));
    }
    let command: String = c[..2].iter().collect();
    if command != COMMAND {
        return Err(PhoneError::UnknownCommand { protocol, command });
    }
    if c.len() < HEADER_LEN {
        return Err(truncated(protocol, c.len()));
    }
    let call_type: String = c[2..HEADER_LEN].iter().collect();
    if call_kind(protocol, &call_type, &[]).is_none() {
        return Err(PhoneError::UnknownCallType {
            protocol,
            call_type,
        });
    }
    let (data, id, id_at) = split_body(protocol, c)?;
    check_data(s, data)?;
    check_id(s, protocol, id_at, id)?;
    let kind = call_kind(protocol, &call_type, data).ok_or(PhoneError::UnknownCallType {
        protocol,
        call_type,
    })?;
    let keep_data = !matches!(kind, CallKind::TestCall { .. });
    Ok(PhoneMessage {
        protocol,
        kind,
        phone_id: id.iter().collect(),
        data: if keep_data {
            data.iter().map(char::to_ascii_uppercase).collect()
        } else {
            String::new()
        },
        digits: String::new(),
    })
}

/// Checks that the command and call-type symbols present (up to four) are decimal digits.
fn check_header(s: &Symbols) -> Result<(), PhoneError> {
    let n = s.chars.len().min(HEADER_LEN);
    match s.chars[..n].iter().position(|ch| !ch.is_ascii_digit()) {
        Some(i) if i < 2 => Err(s.illegal(i, "a decimal digit (CPC command)")),
        Some(i) => Err(s.illegal(i, "a decimal digit (CPC call type)")),
        None => Ok(()),
    }
}

/// Splits what follows the header at the `*` into data and id (without the `#` end mark), and
/// the index of the id's first symbol.
fn split_body(protocol: Protocol, c: &[char]) -> Result<(&[char], &[char], usize), PhoneError> {
    let body = match c[HEADER_LEN..].split_last() {
        Some(('#', rest)) => rest,
        _ => &c[HEADER_LEN..],
    };
    match body.iter().position(|ch| *ch == '*') {
        Some(star) => Ok((&body[..star], &body[star + 1..], HEADER_LEN + star + 1)),
        None if body.is_empty() => Err(truncated(protocol, c.len())),
        None => Err(bad_id(protocol, "no '*' before the id".to_owned())),
    }
}

/// Data symbols: `0`–`9`, `A`–`D`.
fn check_data(s: &Symbols, data: &[char]) -> Result<(), PhoneError> {
    let ok = |ch: &char| ch.is_ascii_digit() || matches!(ch.to_ascii_uppercase(), 'A'..='D');
    match data.iter().position(|ch| !ok(ch)) {
        Some(i) => Err(s.illegal(HEADER_LEN + i, "0-9 or A-D (CPC data)")),
        None => Ok(()),
    }
}

/// The id: 1 to 16 decimal digits starting at symbol `at`.
fn check_id(s: &Symbols, protocol: Protocol, at: usize, id: &[char]) -> Result<(), PhoneError> {
    if let Some(i) = id.iter().position(|ch| !ch.is_ascii_digit()) {
        return Err(s.illegal(at + i, "a decimal digit (CPC lift id)"));
    }
    match id.len() {
        0 => Err(bad_id(protocol, "empty: nothing after '*'".to_owned())),
        n if n > ID_MAX => Err(bad_id(
            protocol,
            format!("{n} digits, at most {ID_MAX} allowed"),
        )),
        _ => Ok(()),
    }
}

fn truncated(protocol: Protocol, found: usize) -> PhoneError {
    PhoneError::Truncated {
        protocol,
        found,
        needed: HEADER_LEN + 2,
    }
}

fn bad_id(protocol: Protocol, reason: String) -> PhoneError {
    PhoneError::BadId { protocol, reason }
}

#[cfg(test)]
mod tests {
    use super::super::{CallKind, PhoneError, PhoneFault, Protocol, decode};

    fn kind(protocol: Protocol, digits: &str) -> CallKind {
        let m = decode(protocol, digits).unwrap_or_else(|e| panic!("{digits}: {e}"));
        assert_eq!(m.protocol, protocol);
        assert_eq!(m.phone_id, "12345678");
        m.kind
    }

    #[test]
    fn every_kone_call_type_decodes_to_its_kind() {
        let k = Protocol::CpcKone;
        assert_eq!(kind(k, "0410*12345678#"), CallKind::Alarm { voice: true });
        assert_eq!(
            kind(k, "0421*12345678#"),
            CallKind::TestCall { faults: vec![] }
        );
        assert_eq!(kind(k, "0484*12345678#"), CallKind::RescueEnded);
        assert_eq!(kind(k, "0490*12345678#"), CallKind::ButtonError);
        assert_eq!(kind(k, "0491*12345678#"), CallKind::AudioError);
        assert_eq!(kind(k, "0431*12345678#"), CallKind::BatteryLow);
    }

    #[test]
    fn every_antenna_call_type_decodes_to_its_kind() {
        let a = Protocol::CpcAntenna;
        assert_eq!(kind(a, "0427*12345678#"), CallKind::Alarm { voice: true });
        assert_eq!(
            kind(a, "0426*12345678#"),
            CallKind::TestCall { faults: vec![] }
        );
        assert_eq!(kind(a, "0484*12345678#"), CallKind::RescueEnded);
    }

    #[test]
    fn a_test_call_reads_its_data_as_faults_and_the_end_mark_is_optional() {
        let faults = vec![PhoneFault::Battery, PhoneFault::Microphone];
        let k = kind(Protocol::CpcKone, "042113*12345678");
        assert_eq!(k, CallKind::TestCall { faults });
        let m = decode(Protocol::CpcKone, "D0410B7*12345678#").unwrap();
        assert_eq!(
            (m.data.as_str(), m.digits.as_str()),
            ("B7", "D0410B7*12345678#")
        );
    }

    #[test]
    fn ids_are_one_to_sixteen_decimal_digits() {
        let m = decode(Protocol::CpcKone, "0410*1234567890123456#").unwrap();
        assert_eq!(m.phone_id.len(), 16);
        let e = decode(Protocol::CpcKone, "0410*12345678901234567#").unwrap_err();
        assert!(e.to_string().contains("17 digits"), "{e}");
        let e = decode(Protocol::CpcKone, "0410*#").unwrap_err();
        assert!(matches!(e, PhoneError::BadId { .. }), "{e:?}");
        let e = decode(Protocol::CpcKone, "041012345678#").unwrap_err();
        assert!(e.to_string().contains("no '*'"), "{e}");
        let e = decode(Protocol::CpcKone, "0410*1234*678").unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: '*',
                position: 10,
                ..
            }
        ));
    }

    #[test]
    fn a_call_type_the_variant_does_not_define_is_named() {
        let e = decode(Protocol::CpcAntenna, "0410*12345678#").unwrap_err();
        assert_eq!(
            e,
            PhoneError::UnknownCallType {
                protocol: Protocol::CpcAntenna,
                call_type: "10".into()
            }
        );
        assert!(decode(Protocol::CpcKone, "0427*12345678#").is_err());
    }

    #[test]
    fn a_command_other_than_04_is_named() {
        let e = decode(Protocol::CpcKone, "0510*12345678#").unwrap_err();
        assert!(matches!(e, PhoneError::UnknownCommand { ref command, .. } if command == "05"));
    }

    #[test]
    fn short_messages_are_truncated_and_symbols_out_of_place_are_illegal() {
        for short in ["0", "04", "041", "0410", "0410#"] {
            let e = decode(Protocol::CpcKone, short).unwrap_err();
            assert!(matches!(e, PhoneError::Truncated { .. }), "{short}: {e:?}");
        }
        let e = decode(Protocol::CpcKone, "04*0*12345678").unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: '*',
                position: 3,
                ..
            }
        ));
        let e = decode(Protocol::CpcKone, "0410#1*12345678").unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: '#',
                position: 5,
                ..
            }
        ));
    }
}
