//! SMS length rules: how many segments a text takes and fitting a page into two.
//!
//! A text in the GSM 03.38 7-bit alphabet takes 160 septets in one segment and 153 per part when
//! concatenated (the rest is the concatenation header); a text with any other character (every
//! Chinese text) is sent as UCS-2: 70 code units, or 67 per part. A page may take two parts, so
//! 306 septets or 134 UCS-2 units. Characters outside the Basic Multilingual Plane (emoji) take
//! two UCS-2 units, which is why UCS-2 length is counted in UTF-16 code units, not characters.

/// UCS-2 code units allowed in a two-part SMS (2 × 67).
pub const SMS_UCS2_LIMIT: usize = 134;
/// GSM 7-bit septets allowed in a two-part SMS (2 × 153).
pub const SMS_GSM_LIMIT: usize = 306;

/// `head + place + tail`, with the place shortened (ending in "…") until the whole fits two
/// segments in whichever encoding the result needs; when not even one character of the place
/// fits, `unknown` stands in for it (e.g. "address: see link").
pub fn fit_sms(head: &str, place: &str, tail: &str, unknown: &str) -> String {
    let whole = format!("{head}{place}{tail}");
    if sms_units(&whole) <= sms_limit(&whole) {
        return whole;
    }
    let ellipsis = if sms_limit(&whole) == SMS_GSM_LIMIT {
        "..."
    } else {
        "…"
    };
    let chars: Vec<char> = place.chars().collect();
    // Cutting a character never lengthens the text, so the first fit is the longest one.
    for keep in (1..chars.len()).rev() {
        let cut: String = chars[..keep].iter().collect();
        let text = format!("{head}{}{ellipsis}{tail}", cut.trim_end());
        if sms_units(&text) <= sms_limit(&text) {
            return text;
        }
    }
    let text = format!("{head}{unknown}{tail}");
    if sms_units(&text) <= sms_limit(&text) {
        return text;
    }
    format!("{head}{tail}")
}

/// The limit for `text`: GSM 7-bit when every character is in that alphabet, else UCS-2.
pub fn sms_limit(text: &str) -> usize {
    if text.chars().all(|c| gsm_septets(c).is_some()) {
        SMS_GSM_LIMIT
    } else {
        SMS_UCS2_LIMIT
    }
}

/// What `text` costs: septets when it is all GSM 7-bit, otherwise UTF-16 code units.
pub fn sms_units(text: &str) -> usize {
    let septets: Option<usize> = text.chars().map(gsm_septets).sum();
    septets.unwrap_or_else(|| text.encode_utf16().count())
}

/// Septets a character takes in the GSM 03.38 alphabet (2 for the extension table), `None`
/// when it is not in it.
fn gsm_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "^{}\\[~]|€\u{c}";
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_extension_characters_count_twice_and_chinese_counts_in_utf16_units() {
        assert_eq!(sms_units("abc"), 3);
        assert_eq!(sms_units("a{b}"), 6);
        assert_eq!(sms_units("电梯"), 2);
        assert_eq!(sms_units("a电"), 2);
        assert_eq!(sms_units("😀"), 2);
    }

    #[test]
    fn a_text_that_fits_is_left_alone() {
        assert_eq!(fit_sms("a ", "place", " z", "?"), "a place z");
    }

    #[test]
    fn only_the_place_is_cut() {
        let head = "头".repeat(60);
        let tail = "尾".repeat(72);
        let cut = fit_sms(&head, &"址".repeat(100), &tail, "见链接");
        assert_eq!(cut, format!("{head}址…{tail}"));
        assert_eq!(sms_units(&cut), SMS_UCS2_LIMIT);
    }

    #[test]
    fn a_placeholder_stands_in_for_a_place_that_cannot_fit_and_keeps_the_text_gsm() {
        let head = "H".repeat(100);
        let tail = "T".repeat(100);
        let text = fit_sms(&head, "重庆市渝中区", &tail, "see link");
        assert_eq!(text, format!("{head}see link{tail}"));
        let tail = "T".repeat(205);
        assert_eq!(
            fit_sms(&head, "重庆", &tail, "see link"),
            format!("{head}{tail}")
        );
    }

    #[test]
    fn a_gsm_text_is_cut_with_three_dots_so_it_stays_gsm() {
        let cut = fit_sms("Code 1. ", &"x".repeat(400), " Incident 9", "?");
        assert_eq!(sms_limit(&cut), SMS_GSM_LIMIT);
        assert_eq!(sms_units(&cut), SMS_GSM_LIMIT);
        assert!(cut.contains("x...") && cut.ends_with(" Incident 9"));
    }
}
