//! Credentials out of everything pyaudit shows or stores.
//!
//! URLs reach reports and messages from the command line (`--osv-url https://user:secret@…`),
//! the config, and lockfiles written by whoever opened a pull request (`--index-url`,
//! `name @ https://user:token@…`, `-e git+https://user:token@…`, uv.lock and poetry.lock sources).
//! The request itself still needs the credentials; only what is displayed or stored is redacted:
//! userinfo becomes `***`, and the value of every query parameter whose name looks like a
//! credential becomes `***`.

use std::borrow::Cow;

/// What replaces a secret.
pub const MASK: &str = "***";

/// Query parameter names whose values are credentials (compared without case). `X-Amz-*`
/// (S3 presigned URLs) and `X-Goog-*` (GCS signed URLs) are matched by prefix.
const SECRET_PARAMETERS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "authorization",
    "key",
    "api_key",
    "apikey",
    "api-key",
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "client_secret",
    "sig",
    "signature",
    "credential",
    "credentials",
    "private_token",
    "session",
    "sessionid",
    "code",
];

/// Characters that may precede `://` in a URL scheme (RFC 3986 §3.1), `git+https` included.
fn is_scheme_char(character: char) -> bool {
    character.is_ascii_alphanumeric() || "+.-".contains(character)
}

/// `url` with its userinfo and credential-like query values replaced by [`MASK`]. Anything that
/// is not `scheme://…` comes back unchanged. Idempotent.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else {
        return Cow::Borrowed(url);
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let after_authority = &rest[authority_len..];
    let mut changed = false;
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..authority_start]);
    // The last `@` ends the userinfo: a password may hold an unescaped `@`.
    match authority.rfind('@') {
        // `git@host` (ssh) names an account, not a secret.
        Some(at) if &authority[..at] == "git" || &authority[..at] == MASK => {
            out.push_str(authority);
        }
        Some(at) => {
            changed = true;
            out.push_str(MASK);
            out.push_str(&authority[at..]);
        }
        None => out.push_str(authority),
    }
    let (path_and_query, fragment) = match after_authority.find('#') {
        Some(hash) => after_authority.split_at(hash),
        None => (after_authority, ""),
    };
    match path_and_query.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            for (position, pair) in query.split('&').enumerate() {
                if position > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((name, value)) if is_secret_parameter(name) && value != MASK => {
                        changed = true;
                        out.push_str(name);
                        out.push('=');
                        out.push_str(MASK);
                    }
                    _ => out.push_str(pair),
                }
            }
        }
        None => out.push_str(path_and_query),
    }
    out.push_str(&redact_fragment(fragment, &mut changed));
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(url)
    }
}

/// A fragment is `#egg=name&subdirectory=…` for pip; a credential-like parameter there is masked
/// like one in the query.
fn redact_fragment(fragment: &str, changed: &mut bool) -> String {
    let Some(body) = fragment.strip_prefix('#') else {
        return fragment.to_owned();
    };
    let pairs: Vec<String> = body
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret_parameter(name) && value != MASK => {
                *changed = true;
                format!("{name}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("#{}", pairs.join("&"))
}

fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMETERS.contains(&name.as_str())
        || name.starts_with("x-amz-")
        || name.starts_with("x-goog-")
        || name.ends_with("_token")
        || name.ends_with("-token")
        || name.ends_with("_secret")
        || name.ends_with("_key")
}

/// Every `scheme://…` URL inside free text (a message, an error, a warning) redacted with
/// [`redact_url`]. A URL ends at whitespace, a quote, a backtick or an angle bracket.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut changed = false;
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find("://") {
        let separator = search_from + found;
        let start = text[..separator]
            .char_indices()
            .rev()
            .take_while(|&(_, character)| is_scheme_char(character))
            .last()
            .map_or(separator, |(index, _)| index);
        let end = text[separator..]
            .find(|character: char| {
                character.is_whitespace() || "\"'`<>".contains(character) || character.is_control()
            })
            .map_or(text.len(), |offset| separator + offset);
        if start < separator && start >= copied {
            let redacted = redact_url(&text[start..end]);
            if let Cow::Owned(redacted) = redacted {
                out.push_str(&text[copied..start]);
                out.push_str(&redacted);
                copied = end;
                changed = true;
            }
        }
        search_from = end.max(separator + 3);
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn userinfo_is_masked() {
        assert_eq!(
            redact_url("https://user:s3cret@example.com/simple/"),
            "https://***@example.com/simple/"
        );
        assert_eq!(
            redact_url("git+https://ghp_token@github.com/o/r.git@v1.0#egg=r"),
            "git+https://***@github.com/o/r.git@v1.0#egg=r"
        );
        // A password with an unescaped `@`: the last one ends the userinfo.
        assert_eq!(
            redact_url("https://u:p@ss@host:8443/x"),
            "https://***@host:8443/x"
        );
        assert_eq!(
            redact_url("git+ssh://git@github.com/o/r.git"),
            "git+ssh://git@github.com/o/r.git"
        );
    }

    #[test]
    fn credential_parameters_are_masked_and_others_kept() {
        assert_eq!(
            redact_url("https://h/f.whl?X-Amz-Signature=abc&X-Amz-Credential=def&v=1"),
            "https://h/f.whl?X-Amz-Signature=***&X-Amz-Credential=***&v=1"
        );
        assert_eq!(
            redact_url("https://h/simple?token=t&Private_Token=p&page=2#sig=z"),
            "https://h/simple?token=***&Private_Token=***&page=2#sig=***"
        );
        assert!(matches!(
            redact_url("https://pypi.org/simple/?page=2"),
            Cow::Borrowed(_)
        ));
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn urls_inside_text_are_found() {
        assert_eq!(
            redact_text("request to https://u:p@h/v1/querybatch failed: `http://t@x/?key=1`."),
            "request to https://***@h/v1/querybatch failed: `http://***@x/?key=***`."
        );
        assert_eq!(redact_text("no urls here: a://"), "no urls here: a://");
        assert_eq!(redact_text("://x@y"), "://x@y");
    }

    proptest! {
        #[test]
        fn redaction_is_idempotent_and_removes_the_secret(
            user in "[a-z]{1,8}",
            secret in "[A-Za-z0-9]{12,20}",
            host in "[a-z]{1,10}\\.example",
            prefix in "[ -~]{0,20}",
        ) {
            let text = format!("{prefix} https://{user}:{secret}@{host}/p?token={secret} end");
            let once = redact_text(&text).into_owned();
            prop_assert!(!once.contains(&secret), "{once}");
            prop_assert_eq!(redact_text(&once).into_owned(), once.clone());
        }

        #[test]
        fn redaction_never_panics(text in "\\PC{0,80}") {
            let _ = redact_text(&text);
            let _ = redact_url(&text);
        }
    }
}
