#include "h.h"
int main(){
 std();
 mkdir("bsrc",0755); mkf("bsrc/in","x"); mkdir("bdst",0755); mount("bsrc","bdst",NULL,MS_BIND,NULL);
 T("link(f, bdst/in) existing across bind", link("f","bdst/in"));
 T("link(f, bdst/.) across bind", link("f","bdst/."));
 T("link(f, bdst/x/) across bind", link("f","bdst/x/"));
 T("link(d, bdst/x) dir across bind", link("d","bdst/x"));
 T("rename(f, bdst/.) across bind (EXDEV vs EBUSY)", rename("f","bdst/."));
 T("rename(missing, bdst/in) ", rename("missing","bdst/in"));
 T("rename(bdst/in, bsrc/in) same inode diff mnt", rename("bdst/in","bsrc/in"));
 T("rename(bsrc/in, bsrc/in) same", rename("bsrc/in","bsrc/in"));
 int fd=open("bdst",O_RDONLY);
 T("renameat(bdstfd,in, AT_FDCWD, bsrc/in2)", renameat(fd,"in",AT_FDCWD,"bsrc/in2"));
 umount2("bdst",MNT_DETACH);
 umount2(M,MNT_DETACH);
 return 0;
}
