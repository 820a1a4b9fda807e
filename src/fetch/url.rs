//! Survey URLs: one normal form (RFC 3986, through the `url` crate that reqwest uses), the
//! cache folder name it maps to, and credentials kept out of names and messages.

use reqwest::Url;
use sha2::{Digest, Sha256};

/// The normal form of an http(s) URL: scheme and host lower-case, default port dropped, `.`
/// and `..` segments resolved, no credentials, no query or fragment, no trailing slash.
pub(crate) fn normalise(url: &str) -> Result<Url, String> {
    let mut u =
        Url::parse(url.trim()).map_err(|e| format!("`{}` is not a URL: {e}", redact(url)))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!(
            "`{}` is not an http(s) URL with a host",
            redact(url)
        ));
    }
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    let path = u.path().trim_end_matches('/').to_string();
    u.set_path(&path);
    Ok(u)
}

/// The URL as a string without trailing slash (`Url` keeps one for an empty path).
pub(crate) fn base_string(u: &Url) -> String {
    u.as_str().trim_end_matches('/').to_string()
}

/// The folder name of a survey in the cache: a readable prefix (host, port, path) and a hash
/// of the whole normalised URL, so that two different URLs never share a folder.
pub(crate) fn cache_key(url: &Url) -> String {
    let readable: String = format!(
        "{}_{}{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0),
        url.path()
    )
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || "-.".contains(c) {
            c
        } else {
            '_'
        }
    })
    .take(80)
    .collect();
    let digest = Sha256::digest(base_string(url).as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{readable}-{hash}")
}

/// The host (and port, if not the scheme's default) of a URL, for messages.
pub(crate) fn host_of(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => redact(url),
        },
        Err(_) => redact(url),
    }
}

/// A URL with any `user:password@` removed, for messages and labels.
pub(crate) fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.as_str().to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> String {
        cache_key(&normalise(url).unwrap())
    }

    #[test]
    fn equivalent_urls_share_a_key_and_different_ones_do_not() {
        assert_eq!(
            key("HTTP://Host.org:80/a/./b/../c/"),
            key("http://host.org/a/c")
        );
        assert_eq!(key("https://u:secret@h/x"), key("https://h/x"));
        // These all sanitised to `h/a_b` before (`a b` and `a%20b` are the same URL).
        let distinct = [
            "http://h/a_b",
            "http://h/a%20b",
            "http://h/a/b",
            "http://h/a:b",
        ];
        for (i, a) in distinct.iter().enumerate() {
            for b in &distinct[i + 1..] {
                assert_ne!(key(a), key(b), "{a} vs {b}");
            }
        }
        assert_ne!(key("http://h/s"), key("https://h/s"));
        assert!(!key("https://user:pw@h/x").contains("pw"));
        assert!(key("http://h/../../etc").starts_with("h_80_etc-"));
    }

    #[test]
    fn credentials_never_show() {
        assert_eq!(redact("https://u:pw@h/x"), "https://h/x");
        assert_eq!(host_of("https://u:pw@h:8080/x"), "h:8080");
        assert!(normalise("ftp://h/x").is_err());
    }
}
