//! Why the system refused to read or write a file, in the user's language.
//!
//! An `io::Error`'s text is the operating system's, in English on most PCs ("Permission
//! denied (os error 13)"), and it would stand in the middle of a Korean sentence. The common
//! kinds have their own wording in the catalogue; the system's text (without the
//! "(os error N)" a user cannot act on) is kept only for the rare ones.

use std::fmt;
use std::io;

use crate::i18n::{Arg, Lang, Message};
use crate::msg;

/// The reason part of "cannot read X: <reason>", kept as its kind so it can be rendered in
/// either language. Errors store this instead of the `io::Error`'s text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsReason {
    /// The catalogue's selector for `os-reason`'s `$why`.
    why: &'static str,
    /// The system's words without the "(os error N)" tail, for `other` and `invalid-data`.
    text: String,
}

impl OsReason {
    pub fn of(e: &io::Error) -> OsReason {
        OsReason {
            why: classify(e),
            text: system_text(e),
        }
    }

    /// The catalogue selector (`not-found`, `denied`, …, `other`).
    pub fn key(&self) -> &'static str {
        self.why
    }

    pub fn message(&self) -> Message {
        msg!("os-reason", why = self.why, text = self.text.as_str())
    }
}

impl From<&io::Error> for OsReason {
    fn from(e: &io::Error) -> Self {
        OsReason::of(e)
    }
}

impl From<OsReason> for Arg {
    fn from(r: OsReason) -> Self {
        r.message().into()
    }
}

impl From<&OsReason> for Arg {
    fn from(r: &OsReason) -> Self {
        r.message().into()
    }
}

/// English, for the errors' own `Display` and logs.
impl fmt::Display for OsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message().render(Lang::En))
    }
}

/// The catalogue's reason for `e`: [`OsReason::of`] as a [`Message`].
pub fn message(e: &io::Error) -> Message {
    OsReason::of(e).message()
}

fn classify(e: &io::Error) -> &'static str {
    use io::ErrorKind as K;
    // The raw codes first: an error made from an errno by hand (or by a library that maps
    // kinds differently) is still recognised.
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        let known = match code {
            libc::ENOENT => Some("not-found"),
            libc::EACCES | libc::EPERM => Some("denied"),
            libc::ENOSPC | libc::EDQUOT => Some("full"),
            libc::EFBIG => Some("too-large"),
            libc::EROFS => Some("read-only"),
            libc::EEXIST => Some("exists"),
            libc::EISDIR => Some("is-a-folder"),
            libc::ENOTDIR => Some("not-a-folder"),
            libc::ENOTEMPTY => Some("not-empty"),
            libc::ETIMEDOUT => Some("timed-out"),
            libc::EINTR => Some("interrupted"),
            libc::ENXIO | libc::ENODEV | libc::ENOTCONN | libc::ESTALE => Some("disconnected"),
            _ => None,
        };
        if let Some(why) = known {
            return why;
        }
    }
    match e.kind() {
        K::NotFound => "not-found",
        K::PermissionDenied => "denied",
        K::AlreadyExists => "exists",
        K::StorageFull | K::QuotaExceeded => "full",
        K::FileTooLarge => "too-large",
        K::ReadOnlyFilesystem => "read-only",
        K::IsADirectory => "is-a-folder",
        K::NotADirectory => "not-a-folder",
        K::DirectoryNotEmpty => "not-empty",
        K::InvalidData => "invalid-data",
        K::TimedOut => "timed-out",
        K::Interrupted => "interrupted",
        K::UnexpectedEof => "unexpected-eof",
        K::NotConnected | K::StaleNetworkFileHandle => "disconnected",
        _ => "other",
    }
}

/// The system's text without the "(os error N)" tail.
fn system_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hangul(s: &str) -> bool {
        s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
    }

    /// Every common kind gets the catalogue's words in both languages: Korean with Hangul
    /// and without the system's English, English without the "(os error N)" tail.
    #[test]
    fn common_kinds_have_their_own_words() {
        use io::ErrorKind as K;
        let kinds = [
            (K::NotFound, "not-found"),
            (K::PermissionDenied, "denied"),
            (K::AlreadyExists, "exists"),
            (K::StorageFull, "full"),
            (K::ReadOnlyFilesystem, "read-only"),
            (K::IsADirectory, "is-a-folder"),
            (K::NotADirectory, "not-a-folder"),
            (K::DirectoryNotEmpty, "not-empty"),
            (K::InvalidData, "invalid-data"),
            (K::TimedOut, "timed-out"),
            (K::Interrupted, "interrupted"),
            (K::UnexpectedEof, "unexpected-eof"),
        ];
        let mut english_seen = std::collections::BTreeSet::new();
        for (kind, key) in kinds {
            // The text a custom error carries is what a kind-less reader would have shown.
            let e = io::Error::new(kind, "SYSTEM WORDS");
            let r = OsReason::of(&e);
            assert_eq!(r.key(), key, "{kind:?}");
            let ko = r.message().render(Lang::Ko);
            let en = r.message().render(Lang::En);
            assert!(hangul(&ko), "{kind:?}: {ko}");
            assert!(!hangul(&en), "{kind:?}: {en}");
            // Only invalid data keeps the (library's) words, as its detail.
            assert_eq!(
                ko.contains("SYSTEM WORDS"),
                key == "invalid-data",
                "{kind:?}: {ko}"
            );
            assert!(english_seen.insert(en.clone()), "{kind:?} repeats {en}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn raw_system_errors_are_recognised() {
        for (code, key) in [
            (libc::ENOSPC, "full"),
            (libc::EROFS, "read-only"),
            (libc::EACCES, "denied"),
            (libc::ENOENT, "not-found"),
            (libc::ENOTDIR, "not-a-folder"),
            (libc::EISDIR, "is-a-folder"),
        ] {
            let e = io::Error::from_raw_os_error(code);
            let r = OsReason::of(&e);
            assert_eq!(r.key(), key, "errno {code}");
            let ko = r.message().render(Lang::Ko);
            assert!(hangul(&ko) && !ko.contains("os error"), "{ko}");
            assert!(!r.to_string().contains("os error"), "{r}");
        }
    }

    /// A rare kind keeps the system's words, without its "(os error N)".
    #[test]
    fn a_rare_kind_keeps_the_system_text() {
        let e = io::Error::other("the tape is jammed");
        let r = OsReason::of(&e);
        assert_eq!(r.key(), "other");
        assert_eq!(r.message().render(Lang::Ko), "the tape is jammed");
        #[cfg(unix)]
        {
            let e = io::Error::from_raw_os_error(libc::ELOOP);
            let text = OsReason::of(&e).message().render(Lang::Ko);
            assert!(!text.is_empty() && !text.contains("os error"), "{text}");
        }
    }
}
