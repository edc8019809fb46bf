// Linux file calls Swift's Glibc module does not export (they need _GNU_SOURCE): staging's
// kernel-side copy and one flush of a whole filesystem.
#ifndef LINUX_FILES_H
#define LINUX_FILES_H

#include <sys/types.h>

/// copy_file_range(2) between the descriptors' current offsets; -1 and errno on failure.
ssize_t linux_copy_file_range(int input, int output, size_t count);

/// syncfs(2) of the filesystem holding `descriptor`.
int linux_syncfs(int descriptor);

#endif
