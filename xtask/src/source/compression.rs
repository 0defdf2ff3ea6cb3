//! The compressions source archives come in, told by their first bytes rather than by
//! a file name: a plain tar, gzip or xz.

use std::io::Read;

use anyhow::{Context, Result};

/// How a stream is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Xz,
}

impl Compression {
    /// The compression whose magic number `head` starts with; anything else is taken
    /// as uncompressed (a tar reader then says what is wrong with it).
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// The bytes a magic number needs to be told apart.
    pub const MAGIC_LEN: usize = 6;

    /// `reader`'s bytes, decompressed.
    pub fn reader<'a, R: Read + 'a>(self, reader: R) -> Box<dyn Read + 'a> {
        match self {
            Compression::None => Box::new(reader),
            Compression::Gzip => Box::new(flate2::read::GzDecoder::new(reader)),
            Compression::Xz => Box::new(xz2::read::XzDecoder::new(reader)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
        }
    }
}

/// `bytes` decompressed, as their first bytes say (a copy when they are not compressed).
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>> {
    let compression = Compression::sniff(bytes);
    let mut data = Vec::new();
    compression
        .reader(bytes)
        .read_to_end(&mut data)
        .with_context(|| format!("decompressing it ({})", compression.name()))?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const TEXT: &[u8] = b"the same bytes, whatever wraps them\n";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut encoder = xz2::write::XzEncoder::new(Vec::new(), 6);
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn each_compression_is_told_by_its_magic_and_undone() {
        assert_eq!(Compression::sniff(&gzip(TEXT)), Compression::Gzip);
        assert_eq!(Compression::sniff(&xz(TEXT)), Compression::Xz);
        assert_eq!(Compression::sniff(TEXT), Compression::None);
        for wrapped in [gzip(TEXT), xz(TEXT), TEXT.to_vec()] {
            assert_eq!(decompress(&wrapped).unwrap(), TEXT);
        }
    }

    #[test]
    fn a_truncated_stream_is_an_error_that_names_its_compression() {
        let mut cut = xz(TEXT);
        cut.truncate(cut.len() / 2);
        let error = format!("{:#}", decompress(&cut).unwrap_err());
        assert!(error.starts_with("decompressing it (xz)"), "{error}");
    }
}
