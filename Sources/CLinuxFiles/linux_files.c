#define _GNU_SOURCE
#include <unistd.h>
#include "linux_files.h"

ssize_t linux_copy_file_range(int input, int output, size_t count) {
    return copy_file_range(input, NULL, output, NULL, count, 0);
}

int linux_syncfs(int descriptor) {
    return syncfs(descriptor);
}
