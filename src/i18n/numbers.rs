//! Decimal numbers as each language writes them: `4 000,5` in Swedish and Norwegian,
//! `4,000.5` in English.

use super::Language;

/// Rounds to at most `max_fraction_digits` and drops trailing zeros.
pub fn format_decimal(language: Language, value: f64, max_fraction_digits: usize) -> String {
    let (group, decimal) = match language {
        // Narrow no-break space keeps a number on one line, as the Swedish Language Council advises.
        Language::Swedish | Language::NorwegianBokmal => ('\u{202f}', ','),
        Language::English => (',', '.'),
    };
    let fixed = format!("{:.*}", max_fraction_digits, value.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let fraction = fraction.trim_end_matches('0');
    let mut out = String::new();
    if value < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// A decimal number as people type it, with comma or point ("12,5"); None when empty.
pub fn parse_decimal(raw: &str) -> Option<Result<f64, std::num::ParseFloatError>> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    (!cleaned.is_empty()).then(|| cleaned.parse::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_and_english_grouping() {
        assert_eq!(format_decimal(Language::Swedish, 4000.0, 0), "4\u{202f}000");
        assert_eq!(format_decimal(Language::Swedish, 5.65, 2), "5,65");
        assert_eq!(
            format_decimal(Language::English, 1234567.891, 1),
            "1,234,567.9"
        );
        assert_eq!(format_decimal(Language::NorwegianBokmal, 261.6, 1), "261,6");
    }

    #[test]
    fn trailing_zeros_and_signs() {
        assert_eq!(format_decimal(Language::English, 64.0, 2), "64");
        assert_eq!(format_decimal(Language::English, 0.0, 2), "0");
        assert_eq!(format_decimal(Language::English, -0.001, 2), "0");
        assert_eq!(format_decimal(Language::Swedish, -12.5, 1), "−12,5");
        assert_eq!(format_decimal(Language::English, 999.999, 2), "1,000");
    }
}
