#include "h.h"
int main(){
 setvbuf(stdout,NULL,_IONBF,0); std();
 // root-owned files; dirs for nobody tests
 mkdir("ro_dir",0755); mkf("ro_dir/rf","x"); mkdir("ro_dir/sd",0755);
 mkdir("nox",0700); mkf("nox/f","x"); // no search for others
 mkdir("sticky",01777); mkf("sticky/rootf","x"); chmod("sticky/rootf",0666);
 mkf("rootfile600","x"); chmod("rootfile600",0600);
 mkf("rootfile666","x"); chmod("rootfile666",0666);
 mkdir("nobodydir",0755); chown("nobodydir",65534,65534);
 printf("protected_hardlinks=%s", ""); system("cat /proc/sys/fs/protected_hardlinks");
 pid_t pid=fork();
 if(pid==0){
   if(setresgid(65534,65534,65534)||setresuid(65534,65534,65534)){perror("setresuid");_exit(1);}
   T("[nobody] link(rootfile600, nobodydir/l) protected_hardlinks", link("rootfile600","nobodydir/l"));
   T("[nobody] link(rootfile666, nobodydir/l2) (rw-able source)", link("rootfile666","nobodydir/l2"));
   T("[nobody] link(rootfile600, nobodydir/../rootfile666) EEXIST vs EPERM", link("rootfile600","rootfile666"));
   T("[nobody] link(rootfile600, ro_dir/l) EACCES vs EPERM", link("rootfile600","ro_dir/l"));
   T("[nobody] link(rootfile600, ro_dir/rf) existing in unwritable", link("rootfile600","ro_dir/rf"));
   T("[nobody] mkdir(ro_dir/sd) existing in unwritable dir", mkdir("ro_dir/sd",0755));
   T("[nobody] mkdir(ro_dir/new) unwritable dir", mkdir("ro_dir/new",0755));
   T("[nobody] mkdir(ro_dir/new/x)", mkdir("ro_dir/new/x",0755));
   T("[nobody] open(ro_dir/rf,O_CREAT|O_RDONLY) existing", open("ro_dir/rf",O_CREAT|O_RDONLY,0644));
   T("[nobody] open(ro_dir/rf,O_CREAT|O_EXCL)", open("ro_dir/rf",O_CREAT|O_EXCL|O_RDWR,0644));
   T("[nobody] open(ro_dir/new,O_CREAT)", open("ro_dir/new",O_CREAT|O_RDWR,0644));
   T("[nobody] open(ro_dir/rf,O_RDWR) 0644 root file", open("ro_dir/rf",O_RDWR));
   T("[nobody] unlink(ro_dir/rf) unwritable dir", unlink("ro_dir/rf"));
   T("[nobody] unlink(ro_dir/missing) unwritable dir", unlink("ro_dir/missing"));
   T("[nobody] unlink(ro_dir/sd) dir in unwritable (EACCES vs EISDIR)", unlink("ro_dir/sd"));
   T("[nobody] rmdir(ro_dir/rf) file in unwritable (EACCES vs ENOTDIR)", rmdir("ro_dir/rf"));
   T("[nobody] rename(ro_dir/rf, nobodydir/x)", rename("ro_dir/rf","nobodydir/x"));
   T("[nobody] rename(ro_dir/missing, nobodydir/x)", rename("ro_dir/missing","nobodydir/x"));
   T("[nobody] open(nox/f) no search", open("nox/f",O_RDONLY));
   T("[nobody] open(nox/missing) no search", open("nox/missing",O_RDONLY));
   T("[nobody] stat(nox) itself ok", ({struct stat st; stat("nox",&st);}));
   T("[nobody] mkdir(nox/x)", mkdir("nox/x",0755));
   T("[nobody] open(nox,O_RDONLY) (0700 root dir)", open("nox",O_RDONLY));
   T("[nobody] unlink(sticky/rootf) sticky", unlink("sticky/rootf"));
   T("[nobody] rename(sticky/rootf, sticky/y) sticky", rename("sticky/rootf","sticky/y"));
   T("[nobody] rename(nobodydir/.., x)", rename("sticky/missing","sticky/y"));
   mkf("sticky/mine","m");
   T("[nobody] rename(sticky/mine, sticky/rootf) overwrite others' in sticky", rename("sticky/mine","sticky/rootf"));
   T("[nobody] open(sticky/rootf,O_CREAT|O_RDWR) 0666 (protected_regular=0)", ({int r=open("sticky/rootf",O_CREAT|O_RDWR,0644); if(r>=0) close(r); r;}));
   T("[nobody] open(rootfile600,O_RDONLY)", open("rootfile600",O_RDONLY));
   T("[nobody] open(rootfile600,O_WRONLY|O_TRUNC)", open("rootfile600",O_WRONLY|O_TRUNC));
   T("[nobody] truncate(rootfile600)", truncate("rootfile600",0));
   T("[nobody] mknod(nobodydir/c, S_IFCHR)", mknod("nobodydir/c",S_IFCHR|0644,makedev(1,3)));
   T("[nobody] mknod(ro_dir/c, S_IFCHR) EACCES vs EPERM", mknod("ro_dir/c",S_IFCHR|0644,makedev(1,3)));
   T("[nobody] mknod(ro_dir/rf, S_IFCHR) EEXIST vs EPERM", mknod("ro_dir/rf",S_IFCHR|0644,makedev(1,3)));
   T("[nobody] open(.,O_TMPFILE) in root-owned 1777 mount root", open(".",O_TMPFILE|O_RDWR,0600));
   T("[nobody] open(ro_dir,O_TMPFILE)", open("ro_dir",O_TMPFILE|O_RDWR,0600));
   T("[nobody] rmdir(ro_dir/sd)", rmdir("ro_dir/sd"));
   T("[nobody] mount", mount("none","nobodydir","tmpfs",0,NULL));
   T("[nobody] umount(/tmp/probe/mnt)", umount2(M,0));
   _exit(0);
 }
 waitpid(pid,NULL,0);
 return 0;
}
