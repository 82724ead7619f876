#include "h.h"
int main(){
 std(); struct stat st;
 T("link(f,f2) existing", link("f","f2"));
 T("link(d,newd)", link("d","newd"));
 T("link(d,f2) dir->existing", link("d","f2"));
 T("link(missing,new)", link("missing","new"));
 T("link(missing,f2) both", link("missing","f2"));
 T("link(f,missing_dir/x)", link("f","missing_dir/x"));
 T("link(f,x/)", link("f","x/"));
 T("link(f,f2/)", link("f","f2/"));
 T("link(f,d/)", link("f","d/"));
 T("link(f,.)", link("f","."));
 T("link(f,..)", link("f",".."));
 T("link(f,/)", link("f","/"));
 T("link(f,d/.)", link("f","d/."));
 T("link(f/,x)", link("f/","x"));
 T("link(d/,x)", link("d/","x"));
 T("link(f,f2/x)", link("f","f2/x"));
 T("link(f2/x,new)", link("f2/x","new"));
 T("linkat(flag 0x8)", linkat(AT_FDCWD,"f",AT_FDCWD,"new",0x8));
 T("linkat(flag 0x8, missing src)", linkat(AT_FDCWD,"missing",AT_FDCWD,"new",0x8));
 T("linkat(flag 0x100 AT_SYMLINK_NOFOLLOW)", linkat(AT_FDCWD,"f",AT_FDCWD,"new",AT_SYMLINK_NOFOLLOW));
 T("link(dl,newdl) dangling", link("dl","newdl"));
 lstat("newdl",&st); printf("  newdl is symlink? %d nlink=%lu\n", S_ISLNK(st.st_mode), st.st_nlink);
 T("link(s,news) no follow", link("s","news"));
 lstat("news",&st); printf("  news is symlink? %d\n", S_ISLNK(st.st_mode));
 T("linkat(s,newsf,AT_SYMLINK_FOLLOW)", linkat(AT_FDCWD,"s",AT_FDCWD,"newsf",AT_SYMLINK_FOLLOW));
 lstat("newsf",&st); printf("  newsf is reg? %d nlink=%lu\n", S_ISREG(st.st_mode), st.st_nlink);
 T("linkat(dl,x,AT_SYMLINK_FOLLOW)", linkat(AT_FDCWD,"dl",AT_FDCWD,"x",AT_SYMLINK_FOLLOW));
 T("linkat(sd,x,AT_SYMLINK_FOLLOW) (->dir)", linkat(AT_FDCWD,"sd",AT_FDCWD,"x",AT_SYMLINK_FOLLOW));
 T("link(f, dl) new is dangling symlink", link("f","dl"));
 T("link(p,newp) fifo", link("p","newp"));
 T("link(f, 256-name)", ({char n[300]; memset(n,'z',256); n[256]=0; link("f",n);}));
 // removed dir via dirfd
 mkdir("gone",0755); int gfd=open("gone",O_RDONLY); rmdir("gone");
 T("linkat(f, gonefd, x)", linkat(AT_FDCWD,"f",gfd,"x",0));
 T("linkat(missing, gonefd, x)", linkat(AT_FDCWD,"missing",gfd,"x",0));
 T("linkat(d, gonefd, x)", linkat(AT_FDCWD,"d",gfd,"x",0));
 T("openat(gonefd,x,O_CREAT)", openat(gfd,"x",O_CREAT|O_RDWR,0644));
 T("mkdirat(gonefd,x)", mkdirat(gfd,"x",0755));
 T("linkat(f, gonefd, .)", linkat(AT_FDCWD,"f",gfd,".",0));
 // unlinked file via AT_EMPTY_PATH
 int ufd=open("uf",O_CREAT|O_RDWR,0644); unlink("uf");
 T("linkat(unlinked fd,\"\",AT_EMPTY_PATH)", linkat(ufd,"",AT_FDCWD,"relinked",AT_EMPTY_PATH));
 T("linkat(unlinked fd,\"\",AT_EMPTY_PATH) onto existing f2", linkat(ufd,"",AT_FDCWD,"f2",AT_EMPTY_PATH));
 T("linkat(dirfd d,\"\",AT_EMPTY_PATH)", linkat(open("d",O_RDONLY),"",AT_FDCWD,"dlink",AT_EMPTY_PATH));
 T("linkat(f fd,\"\",0) (no EMPTY_PATH)", linkat(open("f",O_RDONLY),"",AT_FDCWD,"flink",0));
 T("linkat(O_PATH f fd,\"\",AT_EMPTY_PATH)", linkat(open("f",O_PATH),"",AT_FDCWD,"flink2",AT_EMPTY_PATH));
 // which first: EEXIST vs EPERM(dir)
 T("link(d, d) ", link("d","d"));
 T("link(f, f) ", link("f","f"));
 // nlink of f after links
 lstat("f",&st); printf("  f nlink=%lu\n", st.st_nlink);
 return 0;
}
