//! File links read from index answers. PEP 503 and PEP 691 let an index give relative URLs
//! (mirrors and proxies such as devpi, Artifactory or a static `simple/` tree send
//! `../../packages/…/x.whl`), to be resolved against the URL the answer came from — after any
//! redirect, since that is the document the link is relative to.

use reqwest::Url;

/// Why a link from an index answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("`{link}` is not a URL: {message}")]
    Invalid { link: String, message: String },
    /// A hostile or broken index could point at `file:///etc/passwd`; only web URLs are fetched.
    #[error("`{link}` is a `{scheme}` URL; only http and https links are followed")]
    Scheme { link: String, scheme: String },
}

/// `link` as an absolute `http(s)` URL: relative links are resolved against `base`, the URL of
/// the answer that contained them; absolute links are kept. The base's credentials are not
/// copied into the result (results are cached and shown), and the fragment is dropped (PEP 503
/// hash fragments are not part of the file's address: `<url>.metadata` must follow the path).
pub fn resolve_link(base: &Url, link: &str) -> Result<Url, LinkError> {
    let mut base = base.clone();
    // NOTE: both setters fail only for URLs that cannot have credentials (no host), which then
    // have none to leak.
    let _ = base.set_username("");
    let _ = base.set_password(None);
    let mut resolved = base.join(link.trim()).map_err(|error| LinkError::Invalid {
        link: link.to_owned(),
        message: error.to_string(),
    })?;
    if !matches!(resolved.scheme(), "http" | "https") {
        return Err(LinkError::Scheme {
            link: link.to_owned(),
            scheme: resolved.scheme().to_owned(),
        });
    }
    resolved.set_fragment(None);
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> Url {
        Url::parse("https://mirror.example/root/pypi/pkg/json").unwrap()
    }

    fn resolve(base: &Url, link: &str) -> Result<String, LinkError> {
        resolve_link(base, link).map(String::from)
    }

    #[test]
    fn relative_links_resolve_against_the_answer() {
        assert_eq!(
            resolve(&base(), "../../packages/ab/pkg-1.0-py3-none-any.whl"),
            Ok("https://mirror.example/root/packages/ab/pkg-1.0-py3-none-any.whl".to_owned())
        );
        let simple = Url::parse("https://mirror.example/simple/pkg/").unwrap();
        assert_eq!(
            resolve(&simple, "pkg-1.0.tar.gz"),
            Ok("https://mirror.example/simple/pkg/pkg-1.0.tar.gz".to_owned())
        );
        assert_eq!(
            resolve(&simple, "/files/pkg-1.0.tar.gz"),
            Ok("https://mirror.example/files/pkg-1.0.tar.gz".to_owned())
        );
        assert_eq!(
            resolve(&simple, "//cdn.example/pkg-1.0.tar.gz"),
            Ok("https://cdn.example/pkg-1.0.tar.gz".to_owned())
        );
    }

    #[test]
    fn absolute_links_are_kept() {
        let link = "https://files.pythonhosted.org/packages/ab/cd/pkg-1.0-py3-none-any.whl";
        assert_eq!(resolve(&base(), link), Ok(link.to_owned()));
        assert_eq!(
            resolve(&base(), "http://other.example/x.whl"),
            Ok("http://other.example/x.whl".to_owned())
        );
    }

    #[test]
    fn the_hash_fragment_is_dropped_so_metadata_urls_follow_the_path() {
        assert_eq!(
            resolve(&base(), "../../packages/pkg-1.0.whl#sha256=abc"),
            Ok("https://mirror.example/root/packages/pkg-1.0.whl".to_owned())
        );
    }

    #[test]
    fn credentials_of_the_base_are_not_copied() {
        let base = Url::parse("https://user:secret@mirror.example/pypi/pkg/json").unwrap();
        let resolved = resolve(&base, "../../packages/pkg-1.0.whl").unwrap();
        assert_eq!(resolved, "https://mirror.example/packages/pkg-1.0.whl");
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert!(matches!(
            resolve_link(&base(), "file:///etc/passwd"),
            Err(LinkError::Scheme { .. })
        ));
        assert!(matches!(
            resolve_link(&base(), "javascript:alert(1)"),
            Err(LinkError::Scheme { .. })
        ));
        assert!(matches!(
            resolve_link(&base(), "https://[::1"),
            Err(LinkError::Invalid { .. })
        ));
        let error = resolve_link(&base(), "ftp://x.example/a.whl").unwrap_err();
        assert!(error.to_string().contains("only http and https"), "{error}");
    }

    proptest! {
        /// Whatever an index sends, a resolved link is an absolute web URL on which the base's
        /// credentials never appear, and resolving it again changes nothing.
        #[test]
        fn resolved_links_are_absolute_web_urls(link in "[a-zA-Z0-9./:#?%@_-]{0,40}") {
            let base = Url::parse("https://user:secret@mirror.example/a/b/json").unwrap();
            if let Ok(resolved) = resolve_link(&base, &link) {
                prop_assert!(matches!(resolved.scheme(), "http" | "https"));
                prop_assert!(resolved.fragment().is_none());
                prop_assert!(!resolved.as_str().contains("secret") || link.contains("secret"));
                let other = Url::parse("https://elsewhere.example/").unwrap();
                prop_assert_eq!(resolve_link(&other, resolved.as_str()), Ok(resolved.clone()));
            }
        }
    }
}
