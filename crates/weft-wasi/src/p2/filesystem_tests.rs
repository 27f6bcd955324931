//! The host side of `wasi:filesystem`, called directly on a context with
//! a temporary preopened directory: round trips, refused escapes and
//! read-only descriptors.

use super::*;
use crate::WasiCtxBuilder;
use crate::p2::bindings::wasi::io::streams::{self, StreamError};
use preopens::Host as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use types::{HostDescriptor as D, HostDirectoryEntryStream as _};

/// A temporary directory, removed when dropped.
struct Sandbox(PathBuf);

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A context with one fresh directory preopened as `/sandbox`, and its
/// descriptor.
fn sandbox(name: &str) -> (Sandbox, WasiCtx, Resource<Descriptor>) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("weft-p2-fs-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    let mut ctx = WasiCtxBuilder::new()
        .preopened_dir(&path, "/sandbox")
        .unwrap()
        .build();
    let mut dirs = ctx.get_directories().unwrap();
    assert_eq!(dirs.len(), 1);
    let (root, guest) = dirs.pop().unwrap();
    assert_eq!(guest, "/sandbox");
    (Sandbox(path), ctx, root)
}

fn rw() -> DescriptorFlags {
    DescriptorFlags::READ | DescriptorFlags::WRITE
}

/// Opens (creating) `path` for reading and writing.
fn create(ctx: &mut WasiCtx, dir: Resource<Descriptor>, path: &str) -> Resource<Descriptor> {
    D::open_at(
        ctx,
        dir,
        PathFlags::empty(),
        path.into(),
        OpenFlags::CREATE,
        rw(),
    )
    .unwrap()
    .unwrap()
}

fn open(
    ctx: &mut WasiCtx,
    dir: Resource<Descriptor>,
    path: &str,
    flags: DescriptorFlags,
) -> std::result::Result<Resource<Descriptor>, ErrorCode> {
    D::open_at(
        ctx,
        dir,
        PathFlags::SYMLINK_FOLLOW,
        path.into(),
        OpenFlags::empty(),
        flags,
    )
    .unwrap()
}

fn names(ctx: &mut WasiCtx, dir: Resource<Descriptor>) -> Vec<(String, DescriptorType)> {
    let s = D::read_directory(ctx, dir).unwrap().unwrap();
    let mut out = Vec::new();
    while let Some(e) = ctx.read_directory_entry(s).unwrap().unwrap() {
        out.push((e.name, e.type_));
    }
    types::HostDirectoryEntryStream::drop(ctx, s).unwrap();
    out
}

#[test]
fn write_and_read_through_streams_and_at_offsets() {
    let (_sb, mut ctx, root) = sandbox("streams");
    let f = create(&mut ctx, root, "f.txt");
    assert_eq!(
        D::get_type(&mut ctx, f).unwrap(),
        Ok(DescriptorType::RegularFile)
    );
    assert_eq!(D::get_flags(&mut ctx, f).unwrap(), Ok(rw()));

    let out = D::write_via_stream(&mut ctx, f, 0).unwrap().unwrap();
    streams::HostOutputStream::blocking_write_and_flush(&mut ctx, out, b"hello world".to_vec())
        .unwrap()
        .unwrap();
    streams::HostOutputStream::drop(&mut ctx, out).unwrap();

    let app = D::append_via_stream(&mut ctx, f).unwrap().unwrap();
    streams::HostOutputStream::write(&mut ctx, app, b"!".to_vec())
        .unwrap()
        .unwrap();
    streams::HostOutputStream::drop(&mut ctx, app).unwrap();

    let input = D::read_via_stream(&mut ctx, f, 6).unwrap().unwrap();
    let got = streams::HostInputStream::blocking_read(&mut ctx, input, 100)
        .unwrap()
        .unwrap();
    assert_eq!(got, b"world!");
    assert!(matches!(
        streams::HostInputStream::blocking_read(&mut ctx, input, 100).unwrap(),
        Err(StreamError::Closed)
    ));
    streams::HostInputStream::drop(&mut ctx, input).unwrap();

    assert_eq!(D::write(&mut ctx, f, b"J".to_vec(), 0).unwrap(), Ok(1));
    assert_eq!(
        D::read(&mut ctx, f, 100, 0).unwrap(),
        Ok((b"Jello world!".to_vec(), true))
    );
    assert_eq!(
        D::read(&mut ctx, f, 5, 0).unwrap(),
        Ok((b"Jello".to_vec(), false))
    );
    let stat = D::stat(&mut ctx, f).unwrap().unwrap();
    assert_eq!(stat.type_, DescriptorType::RegularFile);
    assert_eq!(stat.size, 12);
    assert_eq!(stat.link_count, 1);

    D::set_size(&mut ctx, f, 5).unwrap().unwrap();
    assert_eq!(D::stat(&mut ctx, f).unwrap().unwrap().size, 5);
    D::sync(&mut ctx, f).unwrap().unwrap();
    D::sync_data(&mut ctx, f).unwrap().unwrap();
    D::advise(&mut ctx, f, 0, 5, Advice::Sequential)
        .unwrap()
        .unwrap();
    D::drop(&mut ctx, f).unwrap();
    // A handle to nothing is a trap, not an error code or a panic.
    assert!(D::stat(&mut ctx, f).is_err());
}

#[test]
fn directories_rename_unlink_and_remove() {
    let (sb, mut ctx, root) = sandbox("dirs");
    D::create_directory_at(&mut ctx, root, "sub".into())
        .unwrap()
        .unwrap();
    assert_eq!(
        D::create_directory_at(&mut ctx, root, "sub".into()).unwrap(),
        Err(ErrorCode::Exist)
    );
    let inner = create(&mut ctx, root, "sub/inner.txt");
    D::drop(&mut ctx, inner).unwrap();
    create(&mut ctx, root, "a.txt");
    assert_eq!(
        names(&mut ctx, root),
        [
            ("a.txt".to_string(), DescriptorType::RegularFile),
            ("sub".to_string(), DescriptorType::Directory)
        ]
    );
    let sub = open(&mut ctx, root, "sub", DescriptorFlags::READ).unwrap();
    assert_eq!(
        D::get_type(&mut ctx, sub).unwrap(),
        Ok(DescriptorType::Directory)
    );
    assert_eq!(
        names(&mut ctx, sub),
        [("inner.txt".to_string(), DescriptorType::RegularFile)]
    );
    let st = D::stat_at(&mut ctx, root, PathFlags::empty(), "sub".into())
        .unwrap()
        .unwrap();
    assert_eq!(st.type_, DescriptorType::Directory);

    D::rename_at(
        &mut ctx,
        root,
        "sub/inner.txt".into(),
        root,
        "moved.txt".into(),
    )
    .unwrap()
    .unwrap();
    assert!(sb.0.join("moved.txt").is_file());
    assert_eq!(names(&mut ctx, sub), []);
    assert_eq!(
        D::unlink_file_at(&mut ctx, root, "sub".into()).unwrap(),
        Err(ErrorCode::IsDirectory)
    );
    D::unlink_file_at(&mut ctx, root, "moved.txt".into())
        .unwrap()
        .unwrap();
    assert_eq!(
        D::stat_at(&mut ctx, root, PathFlags::empty(), "moved.txt".into()).unwrap(),
        Err(ErrorCode::NoEntry)
    );

    create(&mut ctx, root, "sub/again.txt");
    assert_eq!(
        D::remove_directory_at(&mut ctx, root, "sub".into()).unwrap(),
        Err(ErrorCode::NotEmpty)
    );
    D::unlink_file_at(&mut ctx, root, "sub/again.txt".into())
        .unwrap()
        .unwrap();
    D::remove_directory_at(&mut ctx, root, "sub".into())
        .unwrap()
        .unwrap();
    assert!(!sb.0.join("sub").exists());
    // A sub-directory opened without `mutate-directory` changes nothing.
    assert_eq!(
        D::create_directory_at(&mut ctx, sub, "x".into()).unwrap(),
        Err(ErrorCode::NotPermitted)
    );
    let plain = create(&mut ctx, root, "plain");
    assert_eq!(
        D::read_directory(&mut ctx, plain).unwrap().err(),
        Some(ErrorCode::NotDirectory)
    );
}

#[test]
fn links_times_and_identity() {
    let (_sb, mut ctx, root) = sandbox("links");
    let f = create(&mut ctx, root, "f");
    D::write(&mut ctx, f, b"data".to_vec(), 0).unwrap().unwrap();
    D::link_at(
        &mut ctx,
        root,
        PathFlags::empty(),
        "f".into(),
        root,
        "g".into(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        D::link_at(
            &mut ctx,
            root,
            PathFlags::SYMLINK_FOLLOW,
            "f".into(),
            root,
            "h".into()
        )
        .unwrap(),
        Err(ErrorCode::Invalid)
    );
    let g = open(&mut ctx, root, "g", DescriptorFlags::READ).unwrap();
    assert!(D::is_same_object(&mut ctx, f, g).unwrap());
    assert!(!D::is_same_object(&mut ctx, f, root).unwrap());
    assert_eq!(D::stat(&mut ctx, f).unwrap().unwrap().link_count, 2);
    let h = D::metadata_hash(&mut ctx, f).unwrap().unwrap();
    assert_eq!(D::metadata_hash(&mut ctx, g).unwrap(), Ok(h.clone()));
    assert_eq!(
        D::metadata_hash_at(&mut ctx, root, PathFlags::empty(), "g".into()).unwrap(),
        Ok(h.clone())
    );
    assert_ne!(D::metadata_hash(&mut ctx, root).unwrap(), Ok(h));

    D::symlink_at(&mut ctx, root, "f".into(), "s".into())
        .unwrap()
        .unwrap();
    assert_eq!(
        D::readlink_at(&mut ctx, root, "s".into()).unwrap(),
        Ok("f".into())
    );
    let via = open(&mut ctx, root, "s", DescriptorFlags::READ).unwrap();
    assert_eq!(
        D::read(&mut ctx, via, 10, 0).unwrap(),
        Ok((b"data".to_vec(), true))
    );
    let nofollow = D::stat_at(&mut ctx, root, PathFlags::empty(), "s".into())
        .unwrap()
        .unwrap();
    assert_eq!(nofollow.type_, DescriptorType::SymbolicLink);

    let t = Datetime {
        seconds: 1_000_000_000,
        nanoseconds: 5,
    };
    D::set_times(
        &mut ctx,
        f,
        NewTimestamp::Timestamp(t.clone()),
        NewTimestamp::Timestamp(t.clone()),
    )
    .unwrap()
    .unwrap();
    let st = D::stat(&mut ctx, f).unwrap().unwrap();
    assert_eq!(st.data_modification_timestamp.unwrap().seconds, t.seconds);
    assert_eq!(st.data_access_timestamp.unwrap().seconds, t.seconds);
    let later = Datetime {
        seconds: 1_500_000_000,
        nanoseconds: 0,
    };
    D::set_times_at(
        &mut ctx,
        root,
        PathFlags::SYMLINK_FOLLOW,
        "s".into(),
        NewTimestamp::NoChange,
        NewTimestamp::Timestamp(later.clone()),
    )
    .unwrap()
    .unwrap();
    let st = D::stat(&mut ctx, f).unwrap().unwrap();
    assert_eq!(
        st.data_modification_timestamp.unwrap().seconds,
        later.seconds
    );
    assert_eq!(st.data_access_timestamp.unwrap().seconds, t.seconds);
    // Out-of-range times are error codes, never a host panic.
    let bad_nanos = Datetime {
        seconds: 0,
        nanoseconds: 1_000_000_000,
    };
    assert_eq!(
        D::set_times(
            &mut ctx,
            f,
            NewTimestamp::Timestamp(bad_nanos),
            NewTimestamp::Now
        )
        .unwrap(),
        Err(ErrorCode::Invalid)
    );
    let far = Datetime {
        seconds: u64::MAX,
        nanoseconds: 999_999_999,
    };
    assert_eq!(
        D::set_times(&mut ctx, f, NewTimestamp::Now, NewTimestamp::Timestamp(far)).unwrap(),
        Err(ErrorCode::Overflow)
    );
}

#[test]
fn escapes_are_not_permitted() {
    let (sb, mut ctx, root) = sandbox("escape");
    let outside = sb.0.with_file_name(format!(
        "{}-outside",
        sb.0.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&outside).unwrap();
    let _outside = Sandbox(outside.clone());
    std::fs::write(outside.join("secret"), b"no").unwrap();
    let outside_name = outside.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::create_dir(sb.0.join("d")).unwrap();
    std::os::unix::fs::symlink(&outside, sb.0.join("abs")).unwrap();
    std::os::unix::fs::symlink(format!("../{outside_name}"), sb.0.join("up")).unwrap();

    let np = Err(ErrorCode::NotPermitted);
    let dotdot = format!("../{outside_name}/secret");
    let absolute = outside.join("secret").to_string_lossy().into_owned();
    for path in [
        dotdot.as_str(),
        "d/../../x",
        absolute.as_str(),
        "abs/secret",
        "up/secret",
    ] {
        assert_eq!(
            open(&mut ctx, root, path, DescriptorFlags::READ).map(drop),
            np,
            "open {path}"
        );
        assert_eq!(
            D::stat_at(&mut ctx, root, PathFlags::SYMLINK_FOLLOW, path.into())
                .unwrap()
                .map(drop),
            np,
            "stat {path}"
        );
    }
    // Following the links themselves leads out too.
    for path in ["abs", "up"] {
        assert_eq!(
            open(&mut ctx, root, path, DescriptorFlags::READ).map(drop),
            np,
            "open {path}"
        );
    }
    // `..` that stays inside is fine.
    assert!(open(&mut ctx, root, "d/..", DescriptorFlags::READ).is_ok());
    assert_eq!(
        D::create_directory_at(&mut ctx, root, format!("../{outside_name}/new")).unwrap(),
        np
    );
    assert_eq!(
        D::unlink_file_at(&mut ctx, root, dotdot.clone()).unwrap(),
        np
    );
    assert_eq!(
        D::rename_at(&mut ctx, root, dotdot.clone(), root, "stolen".into()).unwrap(),
        np
    );
    assert_eq!(
        D::symlink_at(&mut ctx, root, "/etc".into(), "etc".into()).unwrap(),
        np
    );
    assert_eq!(
        D::readlink_at(&mut ctx, root, "abs".into())
            .unwrap()
            .map(drop),
        np
    );
    assert_eq!(
        D::readlink_at(&mut ctx, root, "up".into()).unwrap(),
        Ok(format!("../{outside_name}"))
    );
    assert!(outside.join("secret").exists());
    assert!(!outside.join("new").exists());
}

#[test]
fn read_only_descriptors_cannot_write() {
    let (sb, mut ctx, root) = sandbox("readonly");
    std::fs::write(sb.0.join("f"), b"keep").unwrap();
    let f = open(&mut ctx, root, "f", DescriptorFlags::READ).unwrap();
    let bad = Err(ErrorCode::BadDescriptor);
    assert_eq!(
        D::write(&mut ctx, f, b"x".to_vec(), 0).unwrap().map(drop),
        bad
    );
    assert_eq!(D::write_via_stream(&mut ctx, f, 0).unwrap().map(drop), bad);
    assert_eq!(D::append_via_stream(&mut ctx, f).unwrap().map(drop), bad);
    assert_eq!(D::set_size(&mut ctx, f, 0).unwrap(), bad);
    let w = open(&mut ctx, root, "f", DescriptorFlags::WRITE).unwrap();
    assert_eq!(D::read(&mut ctx, w, 1, 0).unwrap().map(drop), bad);
    assert_eq!(D::read_via_stream(&mut ctx, w, 0).unwrap().map(drop), bad);
    assert_eq!(
        D::open_at(
            &mut ctx,
            root,
            PathFlags::empty(),
            "f".into(),
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ
        )
        .unwrap()
        .map(drop),
        Err(ErrorCode::NotDirectory)
    );

    // A preopen without preview 1's mutating rights is read-only.
    for d in ctx.fds.iter_mut().flatten() {
        if d.preopen.is_some() {
            d.base &= !rights::PATH_UNLINK_FILE;
        }
    }
    let ro = ctx.get_directories().unwrap()[0].0;
    assert_eq!(
        D::get_flags(&mut ctx, ro).unwrap(),
        Ok(DescriptorFlags::READ)
    );
    let read_only = Err(ErrorCode::ReadOnly);
    assert_eq!(open(&mut ctx, ro, "f", rw()).map(drop), read_only);
    assert_eq!(
        D::open_at(
            &mut ctx,
            ro,
            PathFlags::empty(),
            "new".into(),
            OpenFlags::CREATE,
            DescriptorFlags::READ
        )
        .unwrap()
        .map(drop),
        read_only
    );
    let np = Err(ErrorCode::NotPermitted);
    assert_eq!(
        D::create_directory_at(&mut ctx, ro, "d".into()).unwrap(),
        np
    );
    assert_eq!(D::unlink_file_at(&mut ctx, ro, "f".into()).unwrap(), np);
    assert_eq!(
        D::rename_at(&mut ctx, ro, "f".into(), ro, "g".into()).unwrap(),
        np
    );
    let f = open(&mut ctx, ro, "f", DescriptorFlags::READ).unwrap();
    assert_eq!(
        D::read(&mut ctx, f, 10, 0).unwrap(),
        Ok((b"keep".to_vec(), true))
    );
    assert_eq!(std::fs::read(sb.0.join("f")).unwrap(), b"keep");
    assert!(!sb.0.join("new").exists());
}

#[test]
fn stream_errors_carry_their_code() {
    let mut ctx = WasiCtx::default();
    let e = ctx
        .push_resource(IoError {
            message: "gone".into(),
            errno: Some(Errno::Noent),
        })
        .unwrap();
    assert_eq!(
        types::Host::filesystem_error_code(&mut ctx, e).unwrap(),
        Some(ErrorCode::NoEntry)
    );
    assert_eq!(error_code(Errno::Notcapable), ErrorCode::NotPermitted);
    assert_eq!(error_code(Errno::Acces), ErrorCode::Access);
    assert_eq!(error_code(Errno::Rofs), ErrorCode::ReadOnly);
}

#[test]
fn the_interfaces_link() {
    let engine = weft::Engine::default();
    let mut linker = weft_component::Linker::<WasiCtx>::new(&engine);
    crate::p2::add_to_linker(&mut linker, |ctx| ctx).unwrap();
}
