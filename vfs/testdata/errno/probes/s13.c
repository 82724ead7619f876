#include "h.h"
int main(){
 std(); char buf[8192]; struct stat st;
 symlink("f","l0"); for(int i=1;i<=45;i++){ char a[16],b[16]; sprintf(a,"l%d",i); sprintf(b,"l%d",i-1); symlink(b,a);}
 symlink("d","m0"); for(int i=1;i<=45;i++){ char a[16],b[16]; sprintf(a,"m%d",i); sprintf(b,"m%d",i-1); symlink(b,a);}
 T("stat(m19/../l18) 20+19=39 links", stat("m19/../l18",&st));
 T("stat(m19/../l19) 20+20=40 links", stat("m19/../l19",&st));
 T("stat(m19/../l20) 20+21=41 links", stat("m19/../l20",&st));
 T("lstat(l45) (no follow final)", lstat("l45",&st));
 T("lstat(m40/sub) 41 links mid", lstat("m40/sub",&st));
 T("lstat(m39/sub) 40 links mid", lstat("m39/sub",&st));
 T("openat(999, \"\")", openat(999,"",O_RDONLY));
 T("openat(999, NULL)", openat(999,NULL,O_RDONLY));
 T("openat(999, \"x\", O_DIRECTORY|O_CREAT)", openat(999,"x",O_DIRECTORY|O_CREAT,0644));
 T("readlink(missing,buf,0)", readlink("missing",buf,0));
 T("unlinkat(AT_FDCWD,NULL,0x1)", unlinkat(AT_FDCWD,NULL,0x1));
 T("unlinkat(999,\"f\",0x1)", unlinkat(999,"f",0x1));
 T("linkat(NULL,...,0x8)", linkat(AT_FDCWD,NULL,AT_FDCWD,"x",0x8));
 T("renameat2(999,NULL,..,8)", syscall(SYS_renameat2,999,NULL,999,NULL,8));
 T("stat(f/missing/x)", stat("f/missing/x",&st));
 T("stat(missing/..)", stat("missing/..",&st));
 T("stat(missing/.)", stat("missing/.",&st));
 T("stat(f/.)", stat("f/.",&st));
 T("stat(f/..)", stat("f/..",&st));
 T("stat(s/x)", stat("s/x",&st));
 T("stat(dl/x)", stat("dl/x",&st));
 T("stat(s/)", stat("s/",&st));
 T("lstat(s/)", lstat("s/",&st));
 T("lstat(sd/) ->dir (follows!)", ({int x=lstat("sd/",&st); printf("  isdir=%d\n",S_ISDIR(st.st_mode)); x;}));
 T("lstat(dl/)", lstat("dl/",&st));
 T("open(dl/,O_CREAT)", open("dl/",O_CREAT|O_RDWR,0644));
 T("rename(f, dl/)", rename("f","dl/"));
 T("mkdir(dl/) (dangling)", mkdir("dl/",0755));
 T("mkdir(\"sd/\") existing symlink->dir", mkdir("sd/",0755));
 // symlink with 4095-byte target made of ./ ./ ... f
 { int L=4095; for(int i=0;i<L-1;i+=2){buf[i]='.';buf[i+1]='/';} buf[L-1]='f'; buf[L]=0; 
   T("symlink(4095-byte './././...f')", symlink(buf,"longok"));
   T("  stat(longok) follows", stat("longok",&st));
   int n=readlink("longok",buf,8192); printf("  readlink len=%d\n",n);}
 // non-empty mountpoint dir
 mkdir("mpd",0755); mkf("mpd/x",NULL); mount("none","mpd","tmpfs",0,NULL);
 T("rmdir(mpd) mountpoint over non-empty dir", rmdir("mpd"));
 T("rename(e, mpd) onto mountpoint nonempty-underlying", rename("e","mpd"));
 T("unlink(mpd)", unlink("mpd"));
 umount2("mpd",MNT_DETACH);
 // creat
 T("creat(d)", creat("d",0644));
 T("creat(f/)", creat("f/",0644));
 // open existing file with O_CREAT|O_DIRECTORY
 T("open(p,O_RDONLY|O_NONBLOCK|O_TRUNC) fifo trunc ignored", ({int r=open("p",O_RDONLY|O_NONBLOCK|O_TRUNC); if(r>=0) close(r); r;}));
 T("open(d,O_RDONLY|O_APPEND)", ({int r=open("d",O_RDONLY|O_APPEND); if(r>=0) close(r); r;}));
 T("open(f,O_WRONLY|O_DIRECTORY)", open("f",O_WRONLY|O_DIRECTORY));
 T("open(d,O_WRONLY|O_DIRECTORY)", open("d",O_WRONLY|O_DIRECTORY));
 T("open(missing,O_DIRECTORY)", open("missing",O_DIRECTORY));
 T("open(missing/,O_DIRECTORY|O_RDONLY)", open("missing/",O_DIRECTORY|O_RDONLY));
 return 0;
}
