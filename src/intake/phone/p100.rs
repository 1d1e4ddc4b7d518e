//! P100 packets: `[D] T L d1 … dL H1 H2`, layout and checksum rule in the parent module's docs.

use super::{CallKind, PhoneError, PhoneFault, PhoneMessage, Protocol, Symbols, dtmf_value};

/// Digits in the lift id every P100 packet starts its data with.
const ID_LEN: usize = 8;
/// Type, length and two checksum symbols.
const MIN_LEN: usize = 4;

/// Parses a P100 packet.
pub(super) fn parse(s: &Symbols) -> Result<PhoneMessage, PhoneError> {
    let c = &s.chars;
    let alarm_type = alarm_type(s)?;
    if c.len() < MIN_LEN {
        return Err(PhoneError::Truncated {
            protocol: Protocol::P100,
            found: c.len(),
            needed: MIN_LEN,
        });
    }
    let declared = dtmf_value(c[1]).ok_or_else(|| s.illegal(1, "a DTMF digit (P100 length)"))?;
    let data_end = c.len() - 2;
    let data = c[2..data_end]
        .iter()
        .enumerate()
        .map(|(i, ch)| dtmf_value(*ch).ok_or_else(|| s.illegal(2 + i, "a DTMF digit (P100 data)")))
        .collect::<Result<Vec<u8>, PhoneError>>()?;
    if data.len() != usize::from(declared) {
        return Err(PhoneError::BadLength {
            declared,
            found: data.len(),
        });
    }
    let found = sent_checksum(s, data_end)?;
    let expected = checksum(alarm_type, declared, &data);
    if found != expected {
        return Err(PhoneError::BadChecksum {
            expected: format!("{expected:02X}"),
            found: format!("{found:02X}"),
        });
    }
    message(s, alarm_type, &c[2..data_end])
}

/// The alarm type symbol: 1, 2 or 3.
fn alarm_type(s: &Symbols) -> Result<u8, PhoneError> {
    let Some(&t) = s.chars.first() else {
        return Err(PhoneError::Truncated {
            protocol: Protocol::P100,
            found: 0,
            needed: MIN_LEN,
        });
    };
    match dtmf_value(t) {
        Some(v @ 1..=3) => Ok(v),
        Some(_) => Err(PhoneError::UnknownType(t)),
        None => Err(s.illegal(0, "a DTMF digit (P100 alarm type)")),
    }
}

/// The checksum rule: the sum of the values of type, length and data, modulo 256.
fn checksum(alarm_type: u8, length: u8, data: &[u8]) -> u8 {
    data.iter().fold(alarm_type.wrapping_add(length), |sum, v| {
        sum.wrapping_add(*v)
    })
}

/// The two checksum symbols at `at` and `at + 1`, high nibble first.
fn sent_checksum(s: &Symbols, at: usize) -> Result<u8, PhoneError> {
    let nibble = |i: usize| {
        let c = s.chars[i];
        match c.to_ascii_uppercase() {
            'E' => Some(14),
            'F' => Some(15),
            _ => dtmf_value(c),
        }
        .ok_or_else(|| s.illegal(i, "a hex digit (P100 checksum)"))
    };
    Ok(nibble(at)? << 4 | nibble(at + 1)?)
}

/// Reads the id and the kind from checked data symbols.
fn message(s: &Symbols, alarm_type: u8, data: &[char]) -> Result<PhoneMessage, PhoneError> {
    let needs = if alarm_type == 1 {
        data.len() == ID_LEN
    } else {
        data.len() >= ID_LEN
    };
    if !needs {
        return Err(PhoneError::BadId {
            protocol: Protocol::P100,
            reason: format!(
                "a type-{alarm_type} packet carries {} data digits, the id needs {}{ID_LEN}",
                data.len(),
                if alarm_type == 1 { "exactly " } else { "" },
            ),
        });
    }
    if let Some(i) = data[..ID_LEN].iter().position(|c| !c.is_ascii_digit()) {
        return Err(s.illegal(2 + i, "a decimal digit (P100 lift id)"));
    }
    let rest = &data[ID_LEN..];
    let (kind, extra) = match alarm_type {
        1 => (CallKind::Alarm { voice: true }, rest),
        2 => (CallKind::OperationalFailure, rest),
        _ => {
            let faults = rest.iter().map(|c| PhoneFault::from_symbol(*c)).collect();
            (CallKind::TestCall { faults }, &[][..])
        }
    };
    Ok(PhoneMessage {
        protocol: Protocol::P100,
        kind,
        phone_id: data[..ID_LEN].iter().collect(),
        data: extra.iter().map(char::to_ascii_uppercase).collect(),
        digits: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{CallKind, PhoneError, PhoneFault, Protocol, decode};

    /// Builds a packet by the documented rule, independently of the parser: the sum of the
    /// symbol values mod 256, two hex digits, `E`/`F` sent as `*`/`#`.
    fn packet(alarm_type: u8, data: &str) -> String {
        let value = |c: char| "0123456789ABCD*#".find(c).unwrap_or(99) as u32;
        let len_symbol = "0123456789ABCD*#".as_bytes()[data.len()] as char;
        let sum = u32::from(alarm_type) + data.len() as u32 + data.chars().map(value).sum::<u32>();
        let hex = format!("{:02X}", sum % 256)
            .replace('E', "*")
            .replace('F', "#");
        format!("{alarm_type}{len_symbol}{data}{hex}")
    }

    #[test]
    fn a_hand_computed_alarm_packet_decodes_to_an_alarm_with_voice() {
        // 1 + 8 + (1+2+3+4+5+6+7+8) = 45 = 0x2D.
        let m = decode(Protocol::P100, "18123456782D").unwrap();
        assert_eq!(m.protocol, Protocol::P100);
        assert_eq!(m.kind, CallKind::Alarm { voice: true });
        assert_eq!(m.phone_id, "12345678");
        assert_eq!(m.digits, "18123456782D");
        assert_eq!(packet(1, "12345678"), "18123456782D");
    }

    #[test]
    fn a_checksum_nibble_of_e_may_arrive_as_star_or_as_e() {
        // 1 + 8 + 21 = 30 = 0x1E.
        assert!(decode(Protocol::P100, "18000003991*").is_ok());
        assert!(decode(Protocol::P100, "18000003991E").is_ok());
        assert!(decode(Protocol::P100, "18000003991e").is_ok());
    }

    #[test]
    fn an_operational_failure_keeps_what_follows_the_id() {
        assert_eq!(packet(2, "00000042"), "280000004210");
        let m = decode(Protocol::P100, &packet(2, "0000004277")).unwrap();
        assert_eq!(m.kind, CallKind::OperationalFailure);
        assert_eq!((m.phone_id.as_str(), m.data.as_str()), ("00000042", "77"));
    }

    #[test]
    fn a_self_test_reports_its_faults_and_long_lengths_are_single_symbols() {
        assert_eq!(packet(3, "123456781"), "3912345678131");
        let m = decode(Protocol::P100, "3912345678131").unwrap();
        let faults = vec![PhoneFault::Battery];
        assert_eq!(m.kind, CallKind::TestCall { faults });
        let m = decode(Protocol::P100, "3C1234567812343D").unwrap();
        let all = vec![
            PhoneFault::Battery,
            PhoneFault::Speaker,
            PhoneFault::Microphone,
            PhoneFault::AlarmButton,
        ];
        assert_eq!(m.kind, CallKind::TestCall { faults: all });
        let healthy = decode(Protocol::P100, &packet(3, "12345678")).unwrap();
        assert_eq!(healthy.kind, CallKind::TestCall { faults: vec![] });
        let fifteen = decode(Protocol::P100, &packet(3, "1234567812349AB")).unwrap();
        assert!(fifteen.digits.starts_with("3#"), "{}", fifteen.digits);
    }

    #[test]
    fn a_leading_start_tone_and_surrounding_whitespace_are_ignored() {
        let m = decode(Protocol::P100, " D18123456782D\n").unwrap();
        assert_eq!(m.phone_id, "12345678");
    }

    #[test]
    fn a_bad_checksum_names_the_expected_and_the_found_sums() {
        let e = decode(Protocol::P100, "18123456782C").unwrap_err();
        assert_eq!(
            e,
            PhoneError::BadChecksum {
                expected: "2D".into(),
                found: "2C".into()
            }
        );
        assert!(
            e.to_string().contains("2D") && e.to_string().contains("2C"),
            "{e}"
        );
    }

    #[test]
    fn an_illegal_digit_is_named_with_its_position_in_the_posted_string() {
        let e = decode(Protocol::P100, " D181234x6782D").unwrap_err();
        assert!(
            matches!(
                e,
                PhoneError::IllegalDigit {
                    digit: 'x',
                    position: 9,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = decode(Protocol::P100, "18123456782G").unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: 'G',
                position: 12,
                ..
            }
        ));
        let e = decode(Protocol::P100, "1812345E782D").unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: 'E',
                position: 8,
                ..
            }
        ));
    }

    #[test]
    fn a_packet_too_short_for_its_fixed_fields_is_truncated() {
        for short in ["1", "18", "D182"] {
            let e = decode(Protocol::P100, short).unwrap_err();
            assert!(
                matches!(e, PhoneError::Truncated { needed: 4, .. }),
                "{short}: {e:?}"
            );
        }
        assert_eq!(decode(Protocol::P100, "  "), Err(PhoneError::Empty));
    }

    #[test]
    fn a_length_digit_that_disagrees_with_the_data_is_a_bad_length() {
        let e = decode(Protocol::P100, "1812345672D").unwrap_err();
        assert_eq!(
            e,
            PhoneError::BadLength {
                declared: 8,
                found: 7
            }
        );
        let e = decode(Protocol::P100, "181234567892D").unwrap_err();
        assert_eq!(
            e,
            PhoneError::BadLength {
                declared: 8,
                found: 9
            }
        );
    }

    #[test]
    fn ids_of_the_wrong_size_or_with_letters_are_refused() {
        let e = decode(Protocol::P100, &packet(1, "1234567")).unwrap_err();
        assert!(matches!(e, PhoneError::BadId { .. }), "{e:?}");
        assert!(e.to_string().contains("exactly 8"), "{e}");
        let e = decode(Protocol::P100, &packet(3, "")).unwrap_err();
        assert!(matches!(e, PhoneError::BadId { .. }), "{e:?}");
        let e = decode(Protocol::P100, &packet(1, "1234A678")).unwrap_err();
        assert!(matches!(
            e,
            PhoneError::IllegalDigit {
                digit: 'A',
                position: 7,
                ..
            }
        ));
    }

    #[test]
    fn an_unknown_alarm_type_is_named() {
        let e = decode(Protocol::P100, &packet(4, "12345678")).unwrap_err();
        assert_eq!(e, PhoneError::UnknownType('4'));
    }
}
