#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <dirent.h>
#include <stdint.h>
#include <signal.h>
#include <sys/sysmacros.h>
static const char *en(int e){ const char *s=strerrorname_np(e); return s?s:"?"; }
#define T(label, expr) do { errno=0; long _r=(long)(expr); int _e=errno; if(_r<0) printf("%-60s -> -1 %s\n", label, en(_e)); else printf("%-60s -> %ld\n", label, _r);} while(0)
#define M "/tmp/probe/mnt"
static void reset(void){ umount2(M, MNT_DETACH); if(mount("none",M,"tmpfs",0,NULL)) {perror("mount"); exit(1);} if(chdir(M)) exit(1);}
static void mkf(const char*p,const char*c){int fd=open(p,O_CREAT|O_WRONLY|O_TRUNC,0644); if(c) write(fd,c,strlen(c)); close(fd);}
static long fsz(const char*p){struct stat st; if(lstat(p,&st)) return -1; return st.st_size;}
static void pst(const char*p){struct stat st; if(lstat(p,&st)){printf("  stat %s: %s\n",p,en(errno));return;} printf("  stat %-20s ino=%lu mode=%o nlink=%lu size=%ld blocks=%ld blksize=%ld\n",p,st.st_ino,st.st_mode,st.st_nlink,st.st_size,st.st_blocks,st.st_blksize);}
static void std(void){ reset(); mkf("f","abc"); mkf("f2","xyz"); mkdir("d",0755); mkdir("d/sub",0755); mkf("d/sub/x",NULL); mkdir("e",0755); symlink("f","s"); symlink("nowhere","dl"); mkfifo("p",0644); symlink("d","sd"); }
