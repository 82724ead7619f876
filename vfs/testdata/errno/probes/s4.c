#include "h.h"
int main(){
 std();
 T("unlink(d)", unlink("d"));
 T("unlink(e)", unlink("e"));
 T("unlink(.)", unlink("."));
 T("unlink(..)", unlink(".."));
 T("unlink(/)", unlink("/"));
 T("unlink(d/.)", unlink("d/."));
 T("unlink(f/)", unlink("f/"));
 T("unlink(d/)", unlink("d/"));
 T("unlink(e/)", unlink("e/"));
 T("unlink(missing/)", unlink("missing/"));
 T("unlink(missing)", unlink("missing"));
 T("unlink(f/x)", unlink("f/x"));
 T("unlink(missing/x)", unlink("missing/x"));
 T("unlink(s/) (s->f)", unlink("s/"));
 T("unlink(sd/) (sd->d)", unlink("sd/"));
 T("unlink(dl/)", unlink("dl/"));
 T("unlink(\"\")", unlink(""));
 T("rmdir(f)", rmdir("f"));
 T("rmdir(f/)", rmdir("f/"));
 T("rmdir(.)", rmdir("."));
 T("rmdir(..)", rmdir(".."));
 T("rmdir(/)", rmdir("/"));
 T("rmdir(d/.)", rmdir("d/."));
 T("rmdir(d/..)", rmdir("d/.."));
 T("rmdir(e/.)", rmdir("e/."));
 T("rmdir(missing/.)", rmdir("missing/."));
 T("rmdir(f/.)", rmdir("f/."));
 T("rmdir(d) nonempty", rmdir("d"));
 T("rmdir(missing)", rmdir("missing"));
 T("rmdir(sd) symlink->dir", rmdir("sd"));
 T("rmdir(sd/) symlink->dir trailing slash", rmdir("sd/"));
 T("rmdir(s) symlink->file", rmdir("s"));
 T("rmdir(p) fifo", rmdir("p"));
 T("unlinkat(bad flag 0x1)", unlinkat(AT_FDCWD,"f",0x1));
 T("unlinkat(bad flag 0x400|REMOVEDIR)", unlinkat(AT_FDCWD,"e",0x400|AT_REMOVEDIR));
 T("unlinkat(missing, bad flag)", unlinkat(AT_FDCWD,"missing",0x1));
 T("unlinkat(d, AT_REMOVEDIR)", unlinkat(AT_FDCWD,"d",AT_REMOVEDIR));
 T("unlinkat(f, AT_REMOVEDIR)", unlinkat(AT_FDCWD,"f",AT_REMOVEDIR));
 T("rmdir(e/)", rmdir("e/"));
 mkdir("e",0755);
 T("rmdir(e//)", rmdir("e//"));
 mkdir("e",0755);
 // mountpoint
 mkdir("mp",0755); mkdir("mp2",0755);
 T("mount tmpfs on mp", mount("none","mp","tmpfs",0,NULL));
 T("rmdir(mp) mountpoint", rmdir("mp"));
 T("rmdir(mp/) mountpoint", rmdir("mp/"));
 T("rmdir(mp/.) ", rmdir("mp/."));
 T("unlink(mp) mountpoint dir", unlink("mp"));
 T("rename(mp, mpx)", rename("mp","mpx"));
 T("rename(mp2, mp) (mp empty dir mountpoint)", rename("mp2","mp"));
 umount2("mp",MNT_DETACH);
 mkf("mf",NULL); mkf("src",NULL);
 T("bind mount src over file mf", mount("src","mf",NULL,MS_BIND,NULL));
 T("unlink(mf) file mountpoint", unlink("mf"));
 T("rename(mf, mfx)", rename("mf","mfx"));
 T("rename(f2, mf) onto mountpoint", rename("f2","mf"));
 T("link(f, mf)", link("f","mf"));
 umount2("mf",MNT_DETACH);
 // rmdir cwd
 mkdir("cw",0755); chdir("cw");
 T("rmdir(cwd via ../cw)", rmdir("../cw"));
 chdir(M);
 // rmdir with open fd inside
 mkdir("held",0755); int hfd=open("held",O_RDONLY);
 T("rmdir(held dir with open fd)", rmdir("held"));
 close(hfd);
 // unlinkat with dirfd being a file
 int ffd=open("f",O_RDONLY);
 T("unlinkat(filefd, x)", unlinkat(ffd,"x",0));
 T("unlinkat(badfd, x)", unlinkat(999,"x",0));
 // sticky/perm as non-root later
 return 0;
}
