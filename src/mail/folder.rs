//! Mail as files, where no SMTP server is configured: one `.eml` file per mail in a folder
//! only the server's user may read (the files hold live sign-in links). Each file is
//! written under a temporary name and renamed, so a crash never leaves half a mail.

use std::io::Write;
use std::path::{Path, PathBuf};

use lettre::Message;

pub struct Folder {
    path: PathBuf,
}

impl Folder {
    /// Creates the folder if needed, and makes it private to this user either way.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            builder.mode(0o700);
            builder.create(path)?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
        }
        #[cfg(not(unix))]
        builder.create(path)?;
        Ok(Self {
            path: path.to_path_buf(),
        })
    }

    pub async fn deliver(&self, message: &Message) -> std::io::Result<()> {
        let bytes = message.formatted();
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            crate::accounts::tokens::random_id()
        );
        let dir = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(std::io::Error::other)?
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = dir.join(format!(".{name}.part"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temporary, dir.join(name))) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_file_appears_whole_and_private() {
        let scratch = tempfile::tempdir().expect("dir");
        let path = scratch.path().join("mail");
        let folder = Folder::open(&path).expect("folder");
        write_atomically(&folder.path, "a.eml", b"Subject: Hej\r\n\r\nText").expect("written");
        let names: Vec<String> = std::fs::read_dir(&path)
            .expect("listing")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.eml"], "no temporary file is left");
        assert_eq!(
            std::fs::read(path.join("a.eml")).expect("mail"),
            b"Subject: Hej\r\n\r\nText"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o700);
            assert_eq!(mode(&path.join("a.eml")), 0o600);
        }
        // A folder made readable for everyone by an earlier version is closed again.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            Folder::open(&path).expect("reopened");
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
    }
}
