"""A file the user named could not be written (`%ygpt save`, `%ygpt export`, the panel's Export).

A failed write is not a failed load: there is no file to "use" and no saved file to give, so it
says it could not write, why in a user's words (the folder is read-only, the disk is full), that
nothing was written (the write is atomic: the file there, if any, is as it was), and where to
write instead. It is a ChatFileError, so a caller that catches a chat file's errors catches it.
"""

from __future__ import annotations

import errno

from .base import YGptError
from .origin import capital
from .usage import ChatFileError

_ELSEWHERE = "write it to a folder you can write to (your home folder, or the notebook's)"

#: an OSError's errno → why the write failed and what to do, in a user's words
_WHY = {errno.EROFS: ("the folder is read-only", _ELSEWHERE),
        errno.EACCES: ("you have no permission to write in that folder", _ELSEWHERE),
        errno.EPERM: ("you have no permission to write in that folder", _ELSEWHERE),
        errno.ENOSPC: ("the disk is full", "free some space on that disk, or write it to another one"),
        errno.EDQUOT: ("your disk quota is used up", "free some space, or write it to another disk"),
        errno.EFBIG: ("the file would be larger than this kernel may write",
                      "write it to another disk, or raise the kernel's file size limit")}


class FileNotWritten(ChatFileError):
    """A save or an export could not write its file: nothing was written, and the chats are as
    they were. ``problem``: why; ``advice``: what to do."""

    def __init__(self, path: object, problem: str, advice: str = "write it to another path") -> None:
        YGptError.__init__(
            self,
            f"Could not write {str(path)!r}: {problem.rstrip('.')}. Nothing was written: what was "
            f"at that path, if anything, is as it was, and your current chats are unchanged. "
            f"{capital(advice)}, then run it again."
        )
        self.path = path

    @classmethod
    def of(cls, path: object, error: OSError) -> FileNotWritten:
        """The write of ``path`` that failed with ``error``, said in a user's words, with the
        system's own (``Read-only file system``) for a search."""
        said = error.strerror or type(error).__name__
        why, advice = _WHY.get(error.errno or 0, (said, "write it to another path"))
        return cls(path, f"{why} ({said})" if why != said else why, advice)

    @classmethod
    def no_folder(cls, path: object, problem: str) -> FileNotWritten:
        """The folder ``path`` goes in is not there and cannot be made (``problem``: a file in the
        way, a read-only parent): the user picks a folder they can write to, as for any write."""
        return cls(path, problem, _ELSEWHERE)

    @classmethod
    def not_a_chat_file(cls, path: object, problem: str) -> FileNotWritten:
        """`%ygpt save` would replace a file of the user's that is not a chat file (notes, a
        CSV named by mistake): a copy of a chat file can be loaded back, but of that one the user
        would not know to look for it, so nothing is written. ``problem``: why it is not one."""
        return cls(path, f"the file there is not a chat file ({problem.rstrip('.')}), and a save "
                         f"would replace it", "save to another name, or delete that file first if "
                                              "you no longer need it")


class FolderNotCopied(YGptError):
    """`ygpt-magic demo --notebooks DIR` could not make the scratch copy its kernels work in
    (scratch_copy.py): a file or folder of DIR that cannot be read, a scratch disk that is full.
    Nothing was run, and DIR is as it was."""

    def __init__(self, folder: object, problem: str, scratch: object) -> None:
        super().__init__(
            f"Could not copy {str(folder)!r} for the demo's kernels to work in ({problem}), so nothing was run "
            f"and the folder is as it was: the kernels work in a copy, so that no notebook writes into yours. "
            f"Make what it names readable (or move it out of the folder), or free space in {str(scratch)!r}, "
            f"then run the demo again.")
        self.folder, self.problem = folder, problem
