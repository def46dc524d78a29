/* Renames one version requirement (an ELF Vernaux entry) of a 64-bit little-endian shared library in place,
 * e.g. GLIBCXX_3.4.32 -> GLIBCXX_3.4.30. The new name must already be in the library's dynamic string table
 * (it is when the library also needs that older version), so no section grows.
 * Usage: rename-version-need LIBRARY OLD NEW */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long elf_hash(const char *name)
{
    unsigned long h = 0, g;
    while (*name) {
        h = (h << 4) + (unsigned char)*name++;
        if ((g = h & 0xf0000000)) h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: %s LIBRARY OLD NEW\n", argv[0]); return 2; }
    const char *path = argv[1], *old_name = argv[2], *new_name = argv[3];
    FILE *f = fopen(path, "r+b");
    if (!f) { perror(path); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *data = malloc(size);
    fseek(f, 0, SEEK_SET);
    if (!data || fread(data, 1, size, f) != (size_t)size) { fprintf(stderr, "%s: cannot read\n", path); return 1; }

    Elf64_Ehdr *eh = (Elf64_Ehdr *)data;
    if (size < (long)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64
        || eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_shoff + (Elf64_Off)eh->e_shnum * sizeof(Elf64_Shdr) > (Elf64_Off)size) {
        fprintf(stderr, "%s: not a 64-bit little-endian ELF file\n", path); return 1;
    }
    Elf64_Shdr *sh = (Elf64_Shdr *)(data + eh->e_shoff);
    int renamed = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        Elf64_Shdr *strtab = &sh[sh[i].sh_link];
        const char *strs = (const char *)data + strtab->sh_offset;
        /* offset of NEW in the string table (any NUL-terminated occurrence is a valid string start) */
        long new_off = -1;
        size_t new_len = strlen(new_name) + 1;
        for (size_t o = 0; o + new_len <= strtab->sh_size; o++)
            if (!memcmp(strs + o, new_name, new_len)) { new_off = (long)o; break; }
        unsigned char *vn = data + sh[i].sh_offset;
        for (;;) {
            Elf64_Verneed *need = (Elf64_Verneed *)vn;
            unsigned char *va = vn + need->vn_aux;
            for (int k = 0; k < need->vn_cnt; k++) {
                Elf64_Vernaux *aux = (Elf64_Vernaux *)va;
                if (!strcmp(strs + aux->vna_name, old_name)) {
                    if (new_off < 0) { fprintf(stderr, "%s: '%s' is not in the string table\n", path, new_name); return 1; }
                    printf("torch-loader-fix:   rename the version need %s (of %s) to %s\n", old_name, strs + need->vn_file, new_name);
                    aux->vna_name = (Elf64_Word)new_off;
                    aux->vna_hash = (Elf64_Word)elf_hash(new_name);
                    renamed++;
                }
                if (!aux->vna_next) break;
                va += aux->vna_next;
            }
            if (!need->vn_next) break;
            vn += need->vn_next;
        }
    }
    if (!renamed) { fprintf(stderr, "%s: no version need named %s\n", path, old_name); return 1; }
    fseek(f, 0, SEEK_SET);
    if (fwrite(data, 1, size, f) != (size_t)size || fclose(f)) { fprintf(stderr, "%s: cannot write\n", path); return 1; }
    return 0;
}
