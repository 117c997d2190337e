//! The site's static files. The build gives the WASM, JS and CSS names with a content hash
//! (cargo-leptos `hash-files`; `hash.txt` beside the server binary tells the pages the
//! names) and `server precompress` writes a brotli and a gzip copy of each; `/pkg/*` serves
//! the copy the browser accepts, and a hashed name as immutable for a year. Pages and API
//! answers are never cached (they are one user's and change all the time) and are
//! compressed on the fly.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::io::Write;
use std::path::Path;

/// Files worth compressing, by extension.
const COMPRESSIBLE: [&str; 5] = ["wasm", "js", "css", "svg", "html"];

/// What `precompress` did: files, bytes before, brotli bytes after.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Precompressed {
    pub files: usize,
    pub bytes: u64,
    pub brotli_bytes: u64,
    pub gzip_bytes: u64,
}

/// Writes `<file>.br` and `<file>.gz` beside every compressible file of `dir` (not into
/// sub-folders). `best`: the highest levels (a release build: once per build, not per
/// request); otherwise quick ones (a debug build's large WASM). Copies newer than their
/// file are kept.
pub fn precompress(dir: &Path, best: bool) -> anyhow::Result<Precompressed> {
    let mut done = Precompressed::default();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else { continue };
        if !path.is_file() || !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let data = std::fs::read(&path)?;
        let br = path.with_extension(format!("{ext}.br"));
        let gz = path.with_extension(format!("{ext}.gz"));
        let modified = std::fs::metadata(&path)?.modified()?;
        let fresh = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t >= modified);
        if !fresh(&br) {
            let mut out = Vec::with_capacity(data.len() / 3);
            {
                let params = brotli::enc::BrotliEncoderParams { quality: if best { 11 } else { 4 }, lgwin: 22, ..Default::default() };
                let mut input = std::io::Cursor::new(&data);
                brotli::BrotliCompress(&mut input, &mut out, &params)?;
            }
            std::fs::write(&br, &out)?;
        }
        if !fresh(&gz) {
            let level = if best { flate2::Compression::best() } else { flate2::Compression::fast() };
            let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), level);
            enc.write_all(&data)?;
            std::fs::write(&gz, enc.finish()?)?;
        }
        done.files += 1;
        done.bytes += data.len() as u64;
        done.brotli_bytes += std::fs::metadata(&br)?.len();
        done.gzip_bytes += std::fs::metadata(&gz)?.len();
    }
    Ok(done)
}

/// Whether a file name carries a build hash: `mcu.<hash>.wasm` (at least 8 characters of
/// base64url between the name and the extension).
pub fn is_hashed(file: &str) -> bool {
    let parts: Vec<&str> = file.split('.').collect();
    match parts.as_slice() {
        [_, hash, ..] if parts.len() >= 3 => {
            hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
}

/// `Cache-Control` for every answer that has none: hashed assets for a year (immutable),
/// other static files revalidated, pages and API answers never stored.
pub async fn cache_control(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let is_asset = path.starts_with("/pkg/");
    let file = path.rsplit('/').next().unwrap_or_default();
    let value = if is_asset && res.status().is_success() && is_hashed(file) {
        "public, max-age=31536000, immutable"
    } else if is_asset || res.status().is_client_error() {
        "no-cache"
    } else {
        "no-store"
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_and_precompressed_copies() {
        assert!(is_hashed("mcu.AbCdEf12_-xY.wasm"));
        assert!(!is_hashed("mcu.wasm"));
        assert!(!is_hashed("mcu.css.br"), "a short middle part is an extension, not a hash");
        let dir = tempfile::tempdir().expect("tempdir");
        let css = "body { color: red; } ".repeat(500);
        std::fs::write(dir.path().join("mcu.AbCdEf12.css"), &css).expect("write");
        std::fs::write(dir.path().join("logo.png"), b"not text").expect("write");
        let done = precompress(dir.path(), true).expect("precompress");
        assert_eq!(done.files, 1, "only compressible files");
        let br = std::fs::read(dir.path().join("mcu.AbCdEf12.css.br")).expect("br");
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut std::io::Cursor::new(&br), &mut back).expect("decompress");
        assert_eq!(back, css.as_bytes());
        assert!(done.brotli_bytes < done.bytes / 10, "{done:?}");
        assert!(dir.path().join("mcu.AbCdEf12.css.gz").exists());
    }
}
