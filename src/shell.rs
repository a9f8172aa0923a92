//! Shell quoting: anything from a catalog or a file that reaches a shell
//! (remote commands, or command text in a plan) goes through [`quote`].

/// Quotes `s` for a POSIX shell so it is one literal word. Plain words
/// (letters, digits, `/._-+:,=@%`) are left as they are for readability;
/// anything else is wrapped in single quotes with embedded quotes escaped.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn plain_words_stay_readable() {
        assert_eq!(quote("/data1/primary/gpseg0"), "/data1/primary/gpseg0");
    }

    #[test]
    fn command_substitution_and_separators_are_literal() {
        assert_eq!(quote("/data/$(reboot);x"), "'/data/$(reboot);x'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
    }
}
