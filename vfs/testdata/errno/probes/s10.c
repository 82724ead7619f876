#include "h.h"
int main(){
 std(); char buf[4096];
 mkdir("cw",0755); chdir("cw");
 T("rmdir(../cw) while cwd", rmdir("../cw"));
 char *r=getcwd(buf,sizeof buf); printf("  getcwd -> %s errno=%s\n", r?r:"NULL", r?"":en(errno));
 long n=syscall(SYS_getcwd,buf,sizeof buf); printf("  raw SYS_getcwd -> %ld '%s' %s\n", n, n>0?buf:"", n<0?en(errno):"");
 int fd;
 T("open(.,O_RDONLY)", fd=open(".",O_RDONLY));
 { struct stat st; fstat(fd,&st); printf("  fstat(.) nlink=%lu size=%ld mode=%o\n",st.st_nlink,st.st_size,st.st_mode);} close(fd);
 T("stat(.)", ({struct stat st; int x=stat(".",&st); printf("  nlink=%lu size=%ld\n",st.st_nlink,st.st_size); x;}));
 T("stat(..)", ({struct stat st; int x=stat("..",&st); printf("  ..ino=%lu\n",st.st_ino); x;}));
 T("open(x,O_CREAT)", open("x",O_CREAT|O_RDWR,0644));
 T("open(x,O_RDONLY)", open("x",O_RDONLY));
 T("open(x,O_CREAT|O_EXCL)", open("x",O_CREAT|O_EXCL|O_RDWR,0644));
 T("mkdir(x)", mkdir("x",0755));
 T("mkfifo(x)", mkfifo("x",0644));
 T("symlink(t,x)", symlink("t","x"));
 T("link(../f,x)", link("../f","x"));
 T("rename(../f,x)", rename("../f","x"));
 T("rename(x, ../g)", rename("x","../g"));
 T("unlink(x)", unlink("x"));
 T("rmdir(x)", rmdir("x"));
 T("rmdir(.)", rmdir("."));
 T("open(.,O_TMPFILE)", open(".",O_TMPFILE|O_RDWR,0600));
 T("chdir(..)", chdir(".."));
 r=getcwd(buf,sizeof buf); printf("  getcwd after chdir(..) -> %s\n", r?r:"NULL");
 T("open(\"cw\") after", open("cw",O_RDONLY));
 // stat an fd of a removed non-empty? dir removed only when empty
 mkdir("z",0755); fd=open("z",O_RDONLY); rmdir("z");
 T("fchdir(removed dir fd)", fchdir(fd));
 T("openat(removed, ., O_RDONLY)", openat(fd,".",O_RDONLY));
 T("openat(removed, .., O_RDONLY)", openat(fd,"..",O_RDONLY));
 T("fstatat(removed, \"..\")", ({struct stat st; fstatat(fd,"..",&st,0);}));
 chdir(M);
 return 0;
}
