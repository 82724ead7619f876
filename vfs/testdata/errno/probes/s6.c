#include "h.h"
int main(){
 std(); char buf[8192]; 
 T("mkdir(d) existing", mkdir("d",0755));
 T("mkdir(f) existing file", mkdir("f",0755));
 T("mkdir(s) existing symlink->f", mkdir("s",0755));
 T("mkdir(dl) dangling symlink", mkdir("dl",0755));
 T("access(nowhere) after mkdir(dl)", access("nowhere",F_OK));
 T("mkdir(x/)", mkdir("x/",0755));
 T("mkdir(x2//)", mkdir("x2//",0755));
 T("mkdir(f/)", mkdir("f/",0755));
 T("mkdir(d/)", mkdir("d/",0755));
 T("mkdir(dl/)", mkdir("dl/",0755));
 T("mkdir(missing/y)", mkdir("missing/y",0755));
 T("mkdir(f/x)", mkdir("f/x",0755));
 T("mkdir(.)", mkdir(".",0755));
 T("mkdir(..)", mkdir("..",0755));
 T("mkdir(/)", mkdir("/",0755));
 T("mkdir(missing/.)", mkdir("missing/.",0755));
 T("mkdir(\"\")", mkdir("",0755));
 T("mknod(f2, S_IFIFO) existing", mknod("f2",S_IFIFO|0644,0));
 T("mkfifo(p) existing", mkfifo("p",0644));
 T("mkfifo(nf/) trailing slash", mkfifo("nf/",0644));
 T("mkfifo(f2/) trailing slash existing", mkfifo("f2/",0644));
 T("mknod(S_IFDIR)", mknod("nd",S_IFDIR|0755,0));
 T("mknod(bad type 0170000)", mknod("nd",0170000|0755,0));
 T("mknod(bad type, existing f)", mknod("f",0170000|0755,0));
 T("mknod(S_IFDIR, existing f)", mknod("f",S_IFDIR|0755,0));
 T("mknod(type 0 -> reg)", mknod("nreg",0644,0));
 { struct stat st; lstat("nreg",&st); printf("  nreg mode=%o\n",st.st_mode);}
 T("mknod(S_IFSOCK)", mknod("nsock",S_IFSOCK|0644,0));
 T("mknod(S_IFCHR 1:3) root", mknod("nchr",S_IFCHR|0644,makedev(1,3)));
 T("symlink(\"\",x)", symlink("","x"));
 T("symlink(t, f) existing", symlink("t","f"));
 T("symlink(t, x/) trailing slash", symlink("t","xs/"));
 T("symlink(t, missing/x)", symlink("t","missing/x"));
 memset(buf,'a',4095); buf[4095]=0;
 T("symlink(target len 4095, ok?)", symlink(buf,"long4095"));
 { struct stat st; lstat("long4095",&st); printf("  size=%ld\n",st.st_size);}
 memset(buf,'a',4096); buf[4096]=0;
 T("symlink(target len 4096)", symlink(buf,"long4096"));
 T("symlink(target len 4096, existing newname f)", symlink(buf,"f"));
 memset(buf,'b',5000); buf[5000]=0;
 T("symlink(target len 5000)", symlink(buf,"long5000"));
 T("open(long4095) follow", open("long4095",O_RDONLY));
 T("readlink(f) non-symlink", readlink("f",buf,100));
 T("readlink(d)", readlink("d",buf,100));
 T("readlink(missing)", readlink("missing",buf,100));
 T("readlink(s) bufsize 100", readlink("s",buf,100));
 T("readlink(s) bufsize 0", readlink("s",buf,0));
 T("readlink(s) bufsize -1", syscall(SYS_readlink,"s",buf,-1));
 symlink("abcdefgh","l8");
 T("readlink(l8) bufsize 3", readlink("l8",buf,3)); printf("  buf='%.3s'\n",buf);
 T("readlink(s/)", readlink("s/",buf,100));
 T("readlink(sd/) (->dir)", readlink("sd/",buf,100));
 T("readlink(\"\")", readlink("",buf,100));
 T("readlinkat(fd of symlink O_PATH|O_NOFOLLOW, \"\")", ({int fd=open("s",O_PATH|O_NOFOLLOW); readlinkat(fd,"",buf,100);}));
 T("readlinkat(fd of file, \"\")", ({int fd=open("f",O_RDONLY); readlinkat(fd,"",buf,100);}));
 // /proc/self/fd
 int fd=open("del",O_CREAT|O_RDWR,0644); unlink("del");
 { char p[64]; sprintf(p,"/proc/self/fd/%d",fd); int n=readlink(p,buf,8000); printf("  readlink(fd of unlinked) = '%.*s'\n",n,buf); }
 int tfd=open("d",O_TMPFILE|O_RDWR,0600);
 { char p[64]; sprintf(p,"/proc/self/fd/%d",tfd); int n=readlink(p,buf,8000); printf("  readlink(fd of O_TMPFILE in d) = '%.*s'\n",n,buf); struct stat st; fstat(tfd,&st); printf("  tmpfile ino=%lu\n",st.st_ino);}
 int pfd=open("p",O_RDWR);
 { char p[64]; sprintf(p,"/proc/self/fd/%d",pfd); int n=readlink(p,buf,8000); printf("  readlink(fd of fifo p) = '%.*s'\n",n,buf); }
 int pp[2]; pipe(pp);
 { char p[64]; sprintf(p,"/proc/self/fd/%d",pp[0]); int n=readlink(p,buf,8000); printf("  readlink(fd of pipe) = '%.*s'\n",n,buf); }
 mkdir("gone",0755); int gfd=open("gone",O_RDONLY); rmdir("gone");
 { char p[64]; sprintf(p,"/proc/self/fd/%d",gfd); int n=readlink(p,buf,8000); printf("  readlink(fd of removed dir) = '%.*s'\n",n,buf); }
 rename("f2","f3"); int rfd=open("f3",O_RDONLY);
 { char p[64]; sprintf(p,"/proc/self/fd/%d",rfd); int n=readlink(p,buf,8000); printf("  readlink(fd of f3) = '%.*s'\n",n,buf); }
 return 0;
}
