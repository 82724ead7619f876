#include "h.h"
int main(){
 setvbuf(stdout,NULL,_IONBF,0); std();
 mkdir("sticky",0); chmod("sticky",01777); mkf("sticky/rootf","x"); chmod("sticky/rootf",0666); mkdir("sticky/rootd",0777); chmod("sticky/rootd",0777);
 mkdir("sticky/rootd_full",0777); mkf("sticky/rootd_full/x",NULL);
 mkdir("w",0); chmod("w",0777); mkf("w/rootf","x"); mkdir("w/rootd",0755);
 pid_t pid=fork();
 if(pid==0){
   setresgid(65534,65534,65534); setresuid(65534,65534,65534);
   T("[nobody] unlink(sticky/rootf) sticky, not owner", unlink("sticky/rootf"));
   T("[nobody] unlink(sticky/missing)", unlink("sticky/missing"));
   T("[nobody] unlink(sticky/rootd) (EPERM vs EISDIR)", unlink("sticky/rootd"));
   T("[nobody] rmdir(sticky/rootf) (EPERM vs ENOTDIR)", rmdir("sticky/rootf"));
   T("[nobody] rmdir(sticky/rootd_full) (EPERM vs ENOTEMPTY)", rmdir("sticky/rootd_full"));
   T("[nobody] rename(sticky/rootf, sticky/y)", rename("sticky/rootf","sticky/y"));
   mkf("sticky/mine","m");
   T("[nobody] rename(sticky/mine, sticky/rootf) overwrite others'", rename("sticky/mine","sticky/rootf"));
   T("[nobody] rename(sticky/mine, sticky/rootd) (EPERM vs EISDIR)", rename("sticky/mine","sticky/rootd"));
   T("[nobody] unlink(w/rootf) non-sticky 0777 dir", unlink("w/rootf"));
   T("[nobody] rename(w/rootd, w/rd2) dir not writable by me, cross? same dir", rename("w/rootd","w/rd2"));
   mkdir("w/mysub",0755);
   T("[nobody] rename(w/rd2, w/mysub/rd) cross-dir move of unwritable dir", rename("w/rd2","w/mysub/rd"));
   T("[nobody] link(sticky/rootf, sticky/l) 0666 src", link("sticky/rootf","sticky/l"));
   _exit(0);
 }
 waitpid(pid,NULL,0);
 return 0;
}
